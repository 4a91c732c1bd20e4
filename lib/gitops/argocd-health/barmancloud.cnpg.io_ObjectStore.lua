-- Argo CD health of a Barman Cloud plugin ObjectStore (plugin-barman-cloud@v0.14.0
-- api/v1/objectstore_types.go): its status has only serverRecoveryWindow, filled after the first
-- backup, and no readiness to wait on; a missing or wrong credential shows on the Cluster and in
-- the backup alerts. Healthy, with the recovery windows known so far as the message.
local hs = { status = "Healthy", message = "No readiness reported by the plugin" }
if obj.status ~= nil and obj.status.serverRecoveryWindow ~= nil then
  local servers = {}
  for name, _ in pairs(obj.status.serverRecoveryWindow) do
    table.insert(servers, name)
  end
  table.sort(servers)
  if table.getn(servers) > 0 then
    hs.message = "Recovery window known for " .. table.concat(servers, ", ")
  end
end
return hs
