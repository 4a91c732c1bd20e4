-- Argo CD health of a CloudNativePG Cluster, replacing Argo CD's own (argo-cd@v3.5.1
-- resource_customizations/postgresql.cnpg.io/Cluster/health.lua). That one calls a rolling restart,
-- "Applying configuration", a switchover or a failover Degraded: the Cluster sits in wave 0, and
-- gitops-engine fails a sync when an applied object of an unfinished multi-wave sync turns Degraded
-- (gitops-engine sync_context.go), so an ordinary parameter change or a node drain failed the sync.
-- Phases from cloudnative-pg@v1.30.0 api/v1/cluster_types.go: work in progress is Progressing (the
-- sync waits for it); what needs a person is Degraded (the sync fails and says why); hibernation and
-- a disabled reconciliation loop are a person's choice: Suspended, as upstream.
local hs = {}
local degraded = {
  ["Waiting for user action"] = true,
  ["Cluster cannot proceed to reconciliation due to an unknown plugin being required"] = true,
  ["Cluster cannot proceed to reconciliation due to an error while interacting with plugins"] = true,
  ["Cluster has incomplete or invalid image catalog"] = true,
  ["Cluster is unrecoverable and needs manual intervention"] = true,
  ["Cluster cannot execute instance online upgrade due to missing architecture binary"] = true,
  ["Unable to create required cluster objects"] = true,
  ["Invalid cluster definition"] = true,
}
if obj.metadata ~= nil and obj.metadata.annotations ~= nil and obj.metadata.annotations["cnpg.io/reconciliationLoop"] == "disabled" then
  hs.status = "Suspended"
  hs.message = "Cluster reconciliation is suspended"
  return hs
end
local st = obj.status
if st == nil or st.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "cnpg.io/hibernation" and c.status == "True" then
      hs.status = "Suspended"
      hs.message = c.message or "Hibernated"
      return hs
    end
  end
end
if st.phase == "Cluster in healthy state" then
  hs.status = "Healthy"
elseif degraded[st.phase] then
  hs.status = "Degraded"
else
  -- Setting up, replicas, upgrades, restarts, applying configuration, switchover, failover,
  -- promotion, and any phase a later operator adds: the operator is working on it.
  hs.status = "Progressing"
end
hs.message = st.phaseReason or st.phase
return hs
