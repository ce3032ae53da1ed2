package scimpush

import "time"

// DefaultGroupTTL is how long a resolved Identity Center group id is trusted by a warm Lambda.
// The cache (a ttlcache.Cache keyed by the group reference: explicit id or displayName) is
// invalidated early when a PATCH answers 404.
const DefaultGroupTTL = 10 * time.Minute
