-- Argo CD health of an External Secrets ExternalSecret. It replaces Argo CD's own check for the
-- kind (argo-cd@v3.5.1 resource_customizations/external-secrets.io/ExternalSecret/health.lua),
-- which this one equals for every other ExternalSecret: Ready=True Healthy,
-- Ready=False Degraded, no Ready condition yet Progressing.
-- The exception: at a DR standby, an ExternalSecret annotated `dbfleet.io/pushed-by: <source>`
-- reads keys only the source site's PushSecrets write. On the standby's first sync they may not
-- exist yet; External Secrets then reports Ready=False, reason SecretSyncedError, "could not get
-- secret data from provider" (external-secrets@v2.9.0 pkg/controllers/externalsecret/
-- externalsecret_controller.go Reconcile → markAsFailed) and retries with backoff. That is
-- Progressing for one hour after the ExternalSecret was created, so the first sync waits instead
-- of failing; after that hour, or once it has ever synced (status.syncedResourceVersion), it is
-- Degraded again: a key that never arrives, or a real failure, is not hidden.
local GRACE_SECONDS = 3600
local hs = {}
local function utc_seconds(stamp)
  local y, mo, d, h, mi, s = string.match(stamp or "", "^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if y == nil then
    return nil
  end
  return os.time({ year = tonumber(y), month = tonumber(mo), day = tonumber(d), hour = tonumber(h), min = tonumber(mi), sec = tonumber(s) })
end
local function in_grace()
  local annotations = obj.metadata and obj.metadata.annotations
  if annotations == nil or annotations["dbfleet.io/pushed-by"] == nil then
    return false
  end
  if obj.status ~= nil and obj.status.syncedResourceVersion ~= nil and obj.status.syncedResourceVersion ~= "" then
    return false
  end
  local created = utc_seconds(obj.metadata.creationTimestamp)
  -- Both sides through os.time of a UTC table: the controller's local time zone cancels out.
  local now = os.time(os.date("!*t"))
  return created ~= nil and now - created < GRACE_SECONDS
end
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" and condition.status == "False" then
      if condition.reason == "SecretSyncedError" and in_grace() then
        hs.status = "Progressing"
        hs.message = "Waiting for the keys " .. obj.metadata.annotations["dbfleet.io/pushed-by"] .. "'s PushSecrets write (Degraded if still missing an hour after creation): " .. (condition.message or "")
        return hs
      end
      hs.status = "Degraded"
      hs.message = condition.message
      return hs
    end
    if condition.type == "Ready" and condition.status == "True" then
      hs.status = "Healthy"
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for ExternalSecret"
return hs
