-- Argo CD health of a CloudNativePG DatabaseRole (cloudnative-pg@v1.30.0 api/v1/databaserole_types.go
-- DatabaseRoleStatus; internal/management/controller/databaserole_controller.go). applied=true at the current
-- generation: Healthy. applied=false: Degraded (the reconciliation failed; message says why), except
-- a role that does not exist yet (below).
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
-- A role that joins (or is joined by) a role created in the same sync fails with 'role "x" does not
-- exist' until the other one exists; the operator retries every 30 s (databaserole_controller.go
-- failedReconciliation: RequeueAfter databaseRoleReconciliationInterval), so that converges by itself
-- and must not fail the sync: Progressing.
if st.applied == false and st.message ~= nil and string.find(st.message, "does not exist", 1, true) ~= nil then
  hs.status = "Progressing"
  hs.message = "Waiting for a role created in the same sync: " .. st.message
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
  -- The operator records a changed password Secret's resourceVersion in the PasswordSecretChange
  -- condition; the instance manager copies it to secretResourceVersion once the password is set
  -- (internal/controller/databaserole_controller.go reconcilePasswordCondition).
  if st.conditions ~= nil then
    for _, c in ipairs(st.conditions) do
      if c.type == "PasswordSecretChange" and c.status == "True" and c.message ~= nil and c.message ~= st.secretResourceVersion then
        hs.status = "Progressing"
        hs.message = "Waiting for the new password to be applied"
        return hs
      end
    end
  end
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
