//! The flags many commands share, defined once: their help text and value names. A command's
//! arguments struct names the field; the words people read come from here, so `--if-version`
//! means the same thing, in the same words, everywhere.

/// `--if-version N` on every write to one issue.
pub const IF_VERSION: &str = "Refuse unless the issue is at this version (optimistic concurrency: a stale version is `version_conflict`, exit 4, and nothing is written)";

/// `--to ACTOR` of a claim.
pub const CLAIM_FOR: &str = "Claim for this actor (`type:identifier`; default: the acting actor)";

/// `--ttl` of a new claim.
pub const TTL_NEW: &str =
    "Lease length, e.g. `30m`, `2h` (default: the config's `default_lease_ttl`)";

/// `--ttl` of a heartbeat.
pub const TTL_RENEW: &str = "New lease length from now (default: the lease's own length)";

/// `--filter QUERY` where it narrows which issues a command lists, exports or picks. (Where it
/// means more, the command says so in its own words under the same value name: `issue update
/// --filter` changes every match, `alert add` and `hook add` count or fire for matches only.)
pub const FILTER: &str =
    "Only issues matching this query (see docs/query.md), e.g. `state:ready label:bug`";
