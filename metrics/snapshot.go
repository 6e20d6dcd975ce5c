package metrics

import "time"

// Legend names what the indexes of a run's aggregates stand for: its
// request series, its checks, its backend instances, and the series warm
// sessions touch. It travels with the figures it names.
type Legend struct {
	Series []SeriesInfo
	Checks []string
	// Journeys names the mix's journeys, by index.
	Journeys []string
	// Instances returns the backend instances met so far, by index less
	// one (they are learnt as the run goes); nil without instance_header.
	Instances func() []string
	// WarmTouch is the series of the warm population's touch; -1 without
	// one.
	WarmTouch int
	// CheckScenarios and JourneyScenarios name the scenario of each check
	// and journey, by index; nil without scenarios.
	CheckScenarios, JourneyScenarios []string
}

// InstanceNames returns the backend instances met so far.
func (l *Legend) InstanceNames() []string {
	if l == nil || l.Instances == nil {
		return nil
	}
	return l.Instances()
}

// Snapshot is the state of a run at the end of an interval, with the
// legend of its figures: the one value that every sink of a run observes
// after a drain (the progress line, the live metrics, the timeline, the
// capacity search, the abort watch), and, at the end, what the verdict is
// judged on.
type Snapshot struct {
	// Elapsed is the time since the run started, at Started on the run's
	// clock.
	Elapsed time.Duration
	Started time.Time
	// VUs running, and their sessions logged in; warm sessions held, and
	// the population the warm sessions are asked to hold (a capacity
	// search raises it step by step).
	VUs, LoggedIn, WarmHeld int
	WarmWanted              int
	// Interval holds the measurements of the interval just ended, Total
	// those of the run so far; Warm and WarmTotal the warm population's
	// (nil without one). None may be kept after the call that got them.
	Interval, Total *Aggregate
	Warm, WarmTotal *Aggregate
	Legend          *Legend
	// Scenarios is each scenario's part, in the profile's order; nil
	// without scenarios.
	Scenarios []ScenarioSnapshot
}

// ScenarioSnapshot is one scenario's part of a snapshot.
type ScenarioSnapshot struct {
	Name string
	// Started says the scenario's start offset has passed.
	Started       bool
	VUs, LoggedIn int
	// Interval and Total are the scenario's own figures, over the run's
	// series (the other scenarios' series empty).
	Interval, Total *Aggregate
}
