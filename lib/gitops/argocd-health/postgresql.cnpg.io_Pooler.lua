-- Argo CD health of a CloudNativePG Pooler (cloudnative-pg@v1.30.0 api/v1/pooler_types.go
-- PoolerStatus.phase: active, paused, inactive, failed). inactive: a prerequisite (cluster,
-- secret, certificate) is missing and the operator retries: Progressing. failed: a configuration
-- error: Degraded.
-- The operator sets phase "active" as soon as the image resolves, whatever the Deployment's
-- rollout (internal/controller/pooler_status.go updatePoolerStatus); status.instances is the
-- Deployment's status.replicas. So active is Healthy only once that many pods exist as
-- spec.instances asks (default 1), and the phase matches spec.pgbouncer.paused (there is no
-- observedGeneration to tell a status of the previous spec).
-- paused is Healthy, not Suspended: gitops-engine keeps a sync running while an object it applied
-- is Progressing or Suspended (argo-cd@v3.5.1 gitops-engine/pkg/sync/sync_context.go, the update of
-- running tasks), so a paused Pooler would hang every sync; pausing is spec.pgbouncer.paused,
-- written in the fleet, and the message says so.
local hs = {}
local st = obj.status
if st == nil or st.phase == nil or st.phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end
local spec = obj.spec or {}
local wantPaused = spec.pgbouncer ~= nil and spec.pgbouncer.paused == true
local want = spec.instances
if want == nil then
  want = 1
end
if st.phase == "failed" then
  hs.status = "Degraded"
  hs.message = st.phaseReason or st.error or "Failed"
elseif st.phase == "inactive" then
  hs.status = "Progressing"
  hs.message = st.phaseReason or "Inactive: waiting for a prerequisite"
elseif (st.phase == "paused") ~= wantPaused then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to apply spec.pgbouncer.paused"
elseif (st.instances or 0) < want then
  hs.status = "Progressing"
  hs.message = "Waiting for PgBouncer pods: " .. tostring(st.instances or 0) .. " of " .. tostring(want)
elseif st.phase == "paused" then
  hs.status = "Healthy"
  hs.message = "Paused (spec.pgbouncer.paused): new client connections wait"
elseif st.phase == "active" then
  hs.status = "Healthy"
  hs.message = "Active"
else
  hs.status = "Progressing"
  hs.message = st.phaseReason or ("Phase " .. st.phase)
end
return hs
