-- Argo CD health of a CloudNativePG Database (cloudnative-pg@v1.30.0 api/v1/database_types.go
-- DatabaseStatus; internal/management/controller/common.go). applied=true at the current
-- generation: Healthy. applied=false: Degraded (the reconciliation failed; message says why).
-- applied unset with "waiting for the cluster to become primary" (errClusterIsReplica): a replica
-- site, where the primary site applies it: Healthy, or the DR site's sync would never finish.
local hs = {}
local st = obj.status
if st == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end
if st.applied == nil and st.message == "waiting for the cluster to become primary" then
  hs.status = "Healthy"
  hs.message = "Replica cluster: applied at the primary site"
  return hs
end
-- applied=false is Degraded whatever observedGeneration says: the operator stamps
-- observedGeneration only on success (cloudnative-pg@v1.30.0 api/v1/*_funcs.go SetAsFailed sets
-- applied and message only), so a failure of the current spec and one left from an older spec look
-- the same; calling the older-generation case Progressing would hide every failure that follows a
-- change behind a sync that never ends. The stale window is short: a spec change triggers the
-- operator's reconcile at once.
if st.applied == false then
  hs.status = "Degraded"
  hs.message = st.message or "Reconciliation failed"
  return hs
end
if st.applied == true then
  if st.observedGeneration ~= nil and obj.metadata.generation ~= nil and st.observedGeneration < obj.metadata.generation then
    hs.status = "Progressing"
    hs.message = "Waiting for the operator to apply the latest change"
    return hs
  end
  hs.status = "Healthy"
  hs.message = "Applied"
  return hs
end
hs.status = "Progressing"
hs.message = st.message or "Waiting for the operator to reconcile"
return hs
