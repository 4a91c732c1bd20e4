-- Argo CD health of a CloudNativePG DatabaseRole (cloudnative-pg@v1.30.0 api/v1/databaserole_types.go
-- DatabaseRoleStatus; internal/management/controller/databaserole_controller.go). applied=true at the current
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
