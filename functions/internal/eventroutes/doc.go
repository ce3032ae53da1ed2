// Package eventroutes holds the tests that put ssoflow's events through the deployment's
// EventBridge rules, read from the synthesized-rules golden file (ebemu.SynthesizedRules),
// and pin which state machine or function each event reaches: the Okta hook's entries on the
// ssoflow bus, Okta's log stream on its partner bus, Identity Center's CloudTrail events and
// Step Functions' execution status changes on the default bus, and the events no rule may
// take. It has no code of its own.
package eventroutes
