package scimpush

import "time"

// SetClock replaces the group cache's clock, so tests can move time past the TTL.
func SetClock(p *Pusher, now func() time.Time) { p.groups.WithClock(now) }
