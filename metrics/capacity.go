package metrics

// CapacityStep is one load level of a capacity search and how the run did
// at it, judged on the step after its settling time.
type CapacityStep struct {
	Level  float64 `json:"level"`
	Passed bool    `json:"passed"`
	// MeasuredS is how long the step was judged on (its length less the
	// settling time, in whole intervals).
	MeasuredS    float64 `json:"measured_s"`
	Requests     int64   `json:"requests"`
	RPS          float64 `json:"rps"`
	Failures     int64   `json:"failures"`
	FailureRatio float64 `json:"failure_ratio"`
	Latency      Latency `json:"latency_ms"`
	Logins       int64   `json:"logins"`
	LostSessions int64   `json:"sessions_lost"`
	// WarmLost counts warm sessions found gone during the step (expired or
	// evicted by the store).
	WarmLost int64 `json:"warm_sessions_lost"`
	// LoggedIn and Warm are the VUs' logged-in sessions and the warm
	// sessions held at the step's end.
	LoggedIn   int               `json:"logged_in"`
	Warm       int               `json:"warm"`
	Thresholds []ThresholdResult `json:"thresholds"`
}

// Capacity is the outcome of a capacity search: the load stepped up until
// a threshold broke.
type Capacity struct {
	// Vary names what was stepped: vus, warm_sessions or login_rate.
	Vary string `json:"vary,omitempty"`
	// LastPassing is the highest level at which every threshold held (0:
	// none did); FirstFailing the level that broke one (0: none broke up
	// to the search's maximum).
	LastPassing  float64 `json:"last_passing"`
	FirstFailing float64 `json:"first_failing,omitempty"`
	// Knee is the highest level whose p95 stayed within KneeFactor times
	// the p95 of the first (lightest) step: where latency starts to climb,
	// often before a threshold breaks.
	Knee  float64        `json:"knee,omitempty"`
	Steps []CapacityStep `json:"steps"`
}

// KneeFactor is how far p95 may rise over the lightest step's before the
// load is past the knee.
const KneeFactor = 2
