-- Argo CD health of a CloudNativePG Pooler (cloudnative-pg@v1.30.0 api/v1/pooler_types.go
-- PoolerStatus.phase: active, paused, inactive, failed). inactive: a prerequisite (cluster,
-- secret, certificate) is missing and the operator retries: Progressing. failed: a configuration
-- error: Degraded.
local hs = {}
local st = obj.status
if st == nil or st.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end
if st.phase == "active" then
  hs.status = "Healthy"
  hs.message = "Active"
elseif st.phase == "paused" then
  hs.status = "Suspended"
  hs.message = st.phaseReason or "Paused: new client connections wait"
elseif st.phase == "failed" then
  hs.status = "Degraded"
  hs.message = st.phaseReason or st.error or "Failed"
else
  hs.status = "Progressing"
  hs.message = st.phaseReason or "Inactive: waiting for a prerequisite"
end
return hs
