package htmlreport

// reportHTML is the page. It carries its own style and no script: it
// opens anywhere, offline, and prints.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cohort report: {{.R.Profile}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.2em 0.7em; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; }
.meta { color: #555; }
.fail { color: #b00; font-weight: bold; }
.ok { color: #070; }
figure.chart { margin: 1.5em 0; }
figure.chart > svg { width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
ul.legend { list-style: none; margin: 0.2em 0 0.4em; padding: 0; display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; font-size: 0.9em; }
ul.legend li { display: flex; align-items: center; gap: 0.4em; white-space: nowrap; }
ul.legend svg.swatch { flex: none; }
tr.failed-step td { background: #fdecea; }
tr.sev-high td:first-child { color: #b00; font-weight: bold; }
tr.sev-medium td:first-child { color: #b60; font-weight: bold; }
tr.sev-info td { color: #555; }
p.failed-step { background: #fdecea; padding: 0.4em 0.7em; }
table.steps { font-size: 0.9em; }
table.steps td.text { text-align: left; }
div.wide { overflow-x: auto; }
</style>
</head>
<body>
<h1>cohort report: {{.R.Profile}}</h1>
<p class="meta">Started {{.R.StartedAt.Format "2006-01-02 15:04:05 MST"}}, {{printf "%.1f" .R.DurationS}} s, up to {{.R.VUsMax}} VUs, segment {{.R.Segment}}{{range $k, $v := .R.Tags}}, {{$k}}={{$v}}{{end}}{{if .R.Interrupted}}, <span class="fail">interrupted</span>{{end}}{{if .R.Aborted}}, <span class="fail">stopped: {{.R.Aborted}}</span>{{end}}.</p>

<h2 id="summary">Summary</h2>
<table>
<tr><th>request</th><th>group</th><th>count</th><th>failed</th><th>failed %</th><th>rps</th><th>avg ms</th><th>min ms</th><th>p50 ms</th><th>p90 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>
{{range .R.Requests}}{{if .Count}}<tr><td>{{if .Scenario}}{{.Scenario}}: {{end}}{{.Name}}</td><td>{{.Group}}</td><td>{{.Count}}</td><td>{{.Failures}}</td><td>{{share .Failures .Count}}</td><td>{{printf "%.1f" .RPS}}</td><td>{{ms .Latency.Mean}}</td><td>{{ms .Latency.Min}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P90}}</td><td>{{ms .Latency.P95}}</td><td>{{ms .Latency.P99}}</td><td>{{ms .Latency.Max}}</td></tr>
{{end}}{{end}}<tr><th>all</th><th></th><th>{{.R.Totals.Requests}}</th><th>{{.R.Totals.Failures}}</th><th>{{share .R.Totals.Failures .R.Totals.Requests}}</th><th>{{printf "%.1f" .R.Totals.RPS}}</th><th>{{ms .R.Latency.Mean}}</th><th>{{ms .R.Latency.Min}}</th><th>{{ms .R.Latency.P50}}</th><th>{{ms .R.Latency.P90}}</th><th>{{ms .R.Latency.P95}}</th><th>{{ms .R.Latency.P99}}</th><th>{{ms .R.Latency.Max}}</th></tr>
</table>
<p>Sessions: {{.R.Sessions.Logins}} logins ({{.R.Sessions.LoginFailures}} failed), login p95 {{ms .R.Sessions.Login.P95}} ms, first request p95 {{ms .R.Sessions.FirstRequest.P95}} ms;
{{.R.Sessions.SessionsLost}} lost, {{.R.Sessions.Relogins}} re-logins, {{.R.Sessions.IDRotations}} id rotations, {{.R.Sessions.Refreshes}} token refreshes, {{.R.Sessions.Logouts}} logouts.
Connections: {{.R.Connections.Opened}} opened; {{.R.Connections.NewRequests}} requests on new connections, {{.R.Connections.ReusedRequests}} on reused ones.{{with .R.Connections}}{{if or .BytesSent .BytesReceived}}
Data on the wire: {{bytes .BytesSent}} sent, {{bytes .BytesReceived}} received.{{end}}{{end}}
Iterations: {{.R.Totals.Iterations}}{{if .R.Totals.Dropped}}, {{.R.Totals.Dropped}} dropped{{end}}{{if .R.Totals.Interrupted}}, {{.R.Totals.Interrupted}} interrupted{{end}}.</p>
{{with .R.Sessions.CookieHeader}}<p>Cookies: the Cookie header a session sends, p50 {{.P50}} B, p95 {{.P95}} B, max {{.Max}} B{{with $.R.Sessions.SessionCookie}}; the session cookie p50 {{.P50}} B, max {{.Max}} B{{end}}.</p>{{end}}
{{with .R.Server}}<p>The server's sessions (built-in target): {{.Live}} live, {{.Created}} created, {{.Expired}} expired, {{.Evicted}} evicted, {{.Invalidated}} invalidated.</p>{{end}}

{{if .R.Scenarios}}<h2 id="scenarios">Scenarios</h2>
<table>
<tr><th>scenario</th><th>executor</th><th>start</th><th>VUs</th><th>requests</th><th>failed</th><th>rps</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>logins</th><th>lost</th><th>iterations</th></tr>
{{range .R.Scenarios}}<tr><td>{{.Name}}</td><td>{{.Executor}}</td><td>{{printf "%g" .StartAfterS}} s{{if not .Started}} (not reached){{end}}</td><td>{{.VUsMax}}</td><td>{{.Totals.Requests}}</td><td>{{.Totals.Failures}}</td><td>{{printf "%.1f" .Totals.RPS}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P95}}</td><td>{{ms .Latency.P99}}</td><td>{{.Logins}} ({{.LoginFailures}} failed)</td><td>{{.SessionsLost}}</td><td>{{.Totals.Iterations}}</td></tr>
{{end}}</table>
<p>Each scenario's own population; its requests are the rows above named after it.</p>{{end}}

{{with .R.Warm}}<h2 id="warm">Warm sessions</h2>
<p>{{.Held}} held of {{.Wanted}}; {{.Logins}} logins ({{.LoginFailures}} failed), login p95 {{ms .Login.P95}} ms; {{.Touches}} touches ({{.TouchFailures}} failed), touch p50 {{ms .Touch.P50}} ms, p95 {{ms .Touch.P95}} ms, p99 {{ms .Touch.P99}} ms; {{.Lost}} lost, {{.Relogins}} re-logins.</p>{{end}}

{{if .R.Instances}}<h2 id="instances">By backend instance</h2>
<table>
<tr><th>instance</th><th>requests</th><th>failed</th><th>rps</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>
{{range .R.Instances}}<tr><td>{{.Name}}</td><td>{{.Requests}}</td><td>{{.Failures}}</td><td>{{printf "%.1f" .RPS}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P95}}</td><td>{{ms .Latency.P99}}</td></tr>
{{end}}</table>
<p>Sessions moved between instances: {{.R.Sessions.Moved}} requests answered by another instance than the session's last; {{.R.Sessions.LostAfterMove}} of them found the session gone.</p>{{end}}

{{if .R.Journeys}}<h2 id="journeys">Journeys</h2>
<table>
<tr><th>journey</th><th>count</th><th>failed</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>failed by reason</th></tr>
{{range .R.Journeys}}<tr><td>{{if .Scenario}}{{.Scenario}}: {{end}}{{.Name}}</td><td>{{.Count}}</td><td>{{.Failed}}</td><td>{{ms .Duration.P50}}</td><td>{{ms .Duration.P95}}</td><td>{{ms .Duration.P99}}</td><td>{{counts .Reasons}}</td></tr>
{{end}}</table>
<p>Whole journeys, from when due to the end of their last step, pauses between steps included; each step is a request above.</p>{{end}}

{{if .R.Capacity.Steps}}<h2 id="capacity">Capacity search ({{.R.Capacity.Vary}})</h2>
<div class="wide" id="capacity-steps"><table class="steps">
<tr><th>level</th><th>result</th><th>level held</th><th>rps</th><th>failed</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>lost</th><th>warm lost</th><th>logins (failed)</th><th>logged in</th><th>warm held</th><th>failures</th></tr>
{{range .R.Capacity.Steps}}<tr{{if not .Passed}} class="failed-step"{{end}}><td>{{printf "%g" .Level}}</td><td>{{if .Passed}}<span class="ok">passed</span>{{else}}<span class="fail">failed</span>{{end}}</td><td>{{if .Held}}yes{{else}}<span class="fail">no</span>{{end}}</td><td>{{printf "%.1f" .RPS}}</td><td>{{pct .FailureRatio}}</td><td>{{ms .Latency.P50}}</td><td>{{ms .Latency.P95}}</td><td>{{ms .Latency.P99}}</td><td>{{.LostSessions}}</td><td>{{.WarmLost}}</td><td>{{.Logins}} ({{.LoginFailures}}){{if .WarmWanted}}, warm {{.WarmLogins}} ({{.WarmLoginFailures}}){{end}}</td><td>{{wanted .LeastLoggedIn .VUsWanted}}</td><td>{{wanted .LeastWarm .WarmWanted}}</td><td class="text">{{with .FailuresByReason}}by reason {{counts .}}{{end}}{{with .FailuresByStatus}}; by status {{counts .}}{{end}}</td></tr>
{{if not .Passed}}<tr class="failed-step"><td colspan="14" class="text">why: {{.Reason}}</td></tr>
{{end}}{{end}}</table></div>
<p>Logged in and warm held: the fewest at any judged interval of the step, of what its level asks for. Failures: those of the step's judged part.</p>
{{with .Failed}}<p class="failed-step" id="failed-step"><span class="fail">Level {{printf "%g" .Level}} failed:</span> {{.Reason}}.{{if .FailuresByReason}} Failed requests by reason: {{counts .FailuresByReason}}{{with .FailuresByStatus}}; by status: {{counts .}}{{end}}.{{end}}</p>{{end}}
<p>Last passing level {{printf "%g" .R.Capacity.LastPassing}}{{if .R.Capacity.FirstFailing}}, broke at {{printf "%g" .R.Capacity.FirstFailing}}{{end}}{{if .R.Capacity.Knee}}; knee at {{printf "%g" .R.Capacity.Knee}}{{end}}.</p>{{end}}

{{if .R.Thresholds}}<h2 id="thresholds">Thresholds</h2>
<table>
<tr><th>threshold</th><th>value</th><th>result</th></tr>
{{range .R.Thresholds}}<tr><td>{{.Expr}}</td><td>{{if .NotJudged}}–{{else}}{{printf "%g" .Value}}{{end}}</td><td>{{if .OK}}<span class="ok">passed</span>{{else if .NotJudged}}<span class="fail">not judged: {{.NotJudged}}</span>{{else}}<span class="fail">failed</span>{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .R.Checks}}<h2 id="checks">Checks</h2>
<table>
<tr><th>check</th><th>passed</th><th>failed</th><th>rate</th></tr>
{{range .R.Checks}}<tr><td>{{if .Scenario}}{{.Scenario}}: {{end}}{{.Name}}</td><td>{{.Passes}}</td><td>{{.Fails}}</td><td>{{if .Fails}}<span class="fail">{{pct .Rate}}</span>{{else}}<span class="ok">{{pct .Rate}}</span>{{end}}</td></tr>
{{end}}</table>{{end}}

{{if .R.SessionFindings}}<h2 id="findings">Session findings</h2>
<p class="meta">What the traffic showed of the application's session security (docs/findings.md); evidence never holds a value.</p>
<table class="steps">
<tr><th>severity</th><th>finding</th><th>evidence</th><th>first request</th><th>seen</th></tr>
{{range .R.SessionFindings}}<tr class="sev-{{.Severity}}"><td class="text">{{.Severity}}</td><td class="text">{{.Kind}}</td><td class="text">{{.Evidence}}</td><td class="text">{{.Request}}</td><td>{{.Count}}</td></tr>
{{end}}</table>{{end}}

<h2 id="charts">Charts</h2>
{{range .Charts}}<figure class="chart" id="{{.ID}}">
{{.SVG}}
{{with .Legend}}<ul class="legend">{{range .}}<li><svg class="swatch" width="28" height="10" viewBox="0 0 28 10" aria-hidden="true"><line x1="1" y1="5" x2="27" y2="5" stroke="{{.Color}}" stroke-width="2"{{if .Dash}} stroke-dasharray="{{.Dash}}"{{end}}/>{{if .Marked}}<circle cx="14" cy="5" r="2.5" fill="{{.Color}}"/>{{end}}</svg>{{.Name}}</li>{{end}}</ul>{{end}}
<figcaption>{{.Title}}{{if .Caption}}: {{.Caption}}{{end}}</figcaption>
</figure>
{{end}}

<h2 id="timing">Where the time went (p50 / p95 ms)</h2>
<table>
<tr><th>request</th><th>blocked</th><th>connect</th><th>tls</th><th>sending</th><th>ttfb</th><th>receiving</th><th>new conn</th><th>reused conn</th></tr>
{{range .Timing}}<tr><td>{{.Name}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}
</table>
</body>
</html>
`
