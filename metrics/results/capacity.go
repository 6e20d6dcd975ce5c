package results

// CapacityStep is one load level of a capacity search and how the run did
// at it. The step passes when the level was held through the judged part
// (every VU logged in, every warm session held) and every threshold held
// there; the judged part is the step after its settling time.
type CapacityStep struct {
	Level  float64 `json:"level"`
	Passed bool    `json:"passed"`
	// Reason says in words why the step failed: the level not held, and
	// the thresholds that broke; empty when it passed.
	Reason string `json:"reason,omitempty"`
	// Held says the level was reached and kept through the judged part.
	Held bool `json:"level_held"`
	// StartS is when the step began, in seconds from the run's start.
	StartS float64 `json:"start_s"`
	// MeasuredS is how long the step was judged on (its length less the
	// settling time, in whole intervals).
	MeasuredS    float64 `json:"measured_s"`
	Requests     int64   `json:"requests"`
	RPS          float64 `json:"rps"`
	Failures     int64   `json:"failures"`
	FailureRatio float64 `json:"failure_ratio"`
	// FailuresByReason and FailuresByStatus split the judged part's failed
	// requests ("0": no response); absent when none failed.
	FailuresByReason map[string]int64 `json:"failures_by_reason,omitempty"`
	FailuresByStatus map[string]int64 `json:"failures_by_status,omitempty"`
	Latency          Latency          `json:"latency_ms"`
	// Logins and LoginFailures are the VUs' logins during the whole step,
	// its settling time included (the VUs a step adds log in then);
	// WarmLogins and WarmLoginFailures the warm population's.
	Logins            int64 `json:"logins"`
	LoginFailures     int64 `json:"login_failures"`
	WarmLogins        int64 `json:"warm_logins,omitempty"`
	WarmLoginFailures int64 `json:"warm_login_failures,omitempty"`
	LostSessions      int64 `json:"sessions_lost"`
	// WarmLost counts warm sessions found gone during the step (expired or
	// evicted by the store).
	WarmLost int64 `json:"warm_sessions_lost"`
	// LoggedIn and Warm are the VUs' logged-in sessions and the warm
	// sessions held at the step's end; LeastLoggedIn and LeastWarm the
	// fewest at any interval of the judged part, against VUsWanted and
	// WarmWanted, what the level asks for (0: not part of it).
	LoggedIn      int               `json:"logged_in"`
	Warm          int               `json:"warm"`
	LeastLoggedIn int               `json:"least_logged_in"`
	LeastWarm     int               `json:"least_warm,omitempty"`
	VUsWanted     int               `json:"vus_wanted,omitempty"`
	WarmWanted    int               `json:"warm_wanted,omitempty"`
	Thresholds    []ThresholdResult `json:"thresholds"`
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
	// Knee is where latency starts to climb, often before a threshold
	// breaks: the highest passing level before the first two steps in a
	// row whose p95 exceeds KneeFactor times the baseline, the median p95
	// of the (up to) three lightest steps. One noisy step does not move it.
	Knee  float64        `json:"knee,omitempty"`
	Steps []CapacityStep `json:"steps"`
}

// KneeFactor is how far p95 may rise over the lightest steps' before the
// load is past the knee.
const KneeFactor = 2
