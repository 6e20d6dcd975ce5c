package htmlreport

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// line is one named series of a chart; marked lines show each point
// (the steps of a capacity search are few and discrete), stepped lines
// hold each value until the next point (a target that changes at once).
// A dashed line is one that often lies on the series before it (what
// was wanted against what was held, re-logins against sessions lost):
// drawn after it with gaps, both stay visible where they meet.
type line struct {
	name    string
	xys     plotter.XYs
	marked  bool
	stepped bool
	dashed  bool
}

// mark is a vertical line across a time chart, where a capacity step or
// a scenario starts, with a short label above the data.
type mark struct {
	x     float64
	label string
}

// xKind is what a chart's x axis shows.
type xKind int

const (
	xTime       xKind = iota // seconds since the run's start, from 0
	xLevels                  // the levels of a capacity search, a tick at each
	xPercentile              // a percentile, as 1/(1-p) on a log scale
)

// spec is one chart to draw.
type spec struct {
	title, xLabel, yLabel string
	x                     xKind
	// latency says y is a latency, drawn on a log scale when the tail
	// dwarfs the body (logY); counts says y counts things, so its ticks
	// are whole numbers.
	latency, counts bool
	lines           []line
	marks           []mark
}

// legendEntry is one series as the page's legend shows it: its name and
// the stroke it is drawn with.
type legendEntry struct {
	Name   string
	Color  string // #rrggbb
	Dash   string // an SVG stroke-dasharray, "" for a solid line
	Marked bool
}

// The chart's size in points (the page scales it to its width), and the
// margin kept clear all round: a browser that lacks the font measured
// with draws glyphs a little taller, and the margin keeps them inside.
const (
	chartW, chartH = 9 * vg.Inch, 3.6 * vg.Inch
	margin         = vg.Length(6)
	dataWidth      = vg.Length(1.5) // the stroke of data lines; everything else is thinner
)

// palette holds twelve colours that stay apart from each other on white:
// hue first, then lightness, so that neighbours in the list differ most.
// Series past the twelfth take the colours again with a dash pattern
// (styleOf), so no two series of a chart share a stroke.
var palette = []color.RGBA{
	{0x1f, 0x5f, 0xae, 0xff}, // blue
	{0xe3, 0x6c, 0x0a, 0xff}, // orange
	{0x2a, 0x9d, 0x3f, 0xff}, // green
	{0xc6, 0x28, 0x28, 0xff}, // red
	{0x7e, 0x4f, 0xb8, 0xff}, // purple
	{0x8d, 0x5b, 0x36, 0xff}, // brown
	{0xd9, 0x4f, 0xa8, 0xff}, // pink
	{0x10, 0xa3, 0xb8, 0xff}, // teal
	{0x9e, 0x9a, 0x10, 0xff}, // olive
	{0x6b, 0x6b, 0x6b, 0xff}, // grey
	{0xf2, 0xb1, 0x00, 0xff}, // amber
	{0x22, 0x22, 0x22, 0xff}, // black
}

// dashes are the patterns of each round through the palette: solid, then
// dashed, dotted, dash-dotted (lengths in points).
var dashes = [][]vg.Length{nil, {6, 3}, {1.5, 2.5}, {8, 3, 1.5, 3}}

// overlayDash is the pattern of a dashed line, unlike any of dashes so
// that it never matches another series' stroke.
var overlayDash = []vg.Length{4, 2.5}

// styleOf is the stroke of a chart's i-th series: distinct for the first
// len(palette)*len(dashes) series, the first len(palette) all solid.
func styleOf(i int) (color.RGBA, []vg.Length) {
	return palette[i%len(palette)], dashes[(i/len(palette))%len(dashes)]
}

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func dashString(d []vg.Length) string {
	parts := make([]string, len(d))
	for i, l := range d {
		parts[i] = strconv.FormatFloat(float64(l), 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// sans is the font charts are measured with. The page names it with
// metric-compatible fallbacks (Arimo, Arial and Helvetica share its
// widths), and every text is told its measured length (fitText), so
// that whatever font the browser has, labels take the room measured
// for them.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

const svgFamily = `font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;`

func textStyle(size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sans, size), Handler: plot.DefaultTextHandler}
}

var (
	markColor = color.RGBA{0x80, 0x80, 0x80, 0xff}
	gridColor = color.RGBA{0xe0, 0xe0, 0xe0, 0xff}
)

// chart draws a spec as an inline SVG and its legend; "" when no line has
// data.
func chart(s spec) (string, []legendEntry, error) {
	var lines []line
	for _, l := range s.lines {
		if s.latency {
			// Dropped on either scale, so that the lines are the same
			// whichever logY picks.
			l.xys = positive(l.xys)
		}
		if len(l.xys) == 1 {
			// One point (a request made once, as a logout): its marker
			// shows it, and a line of no length keeps it a stroke of the
			// SVG like every other series.
			l.marked = true
			l.xys = append(l.xys, l.xys[0])
		}
		if len(l.xys) > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "", nil, nil
	}
	p := plot.New()
	p.Title.Text = s.title
	// gonum's own styles place and rotate the texts; only the font is
	// changed, to the one the page names (sans).
	p.Title.TextStyle.Font = font.From(sans, 12)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sans, 10)
		ax.Tick.Label.Font = font.From(sans, 9)
	}
	p.X.Label.Text, p.Y.Label.Text = s.xLabel, s.yLabel
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridColor, gridColor
	p.Add(grid)

	xmin, xmax, ymin, ymax := bounds(lines)
	setX(p, s, lines, xmin, xmax)
	setY(p, s, lines, ymin, ymax)
	if len(s.marks) > 0 {
		m := &marks{at: s.marks, style: textStyle(7.5, markColor)}
		p.Add(m)
		// The marks' labels go between the title and the data, in room
		// kept for them, so that they never cover a line.
		p.Title.Padding = m.style.Height("0") + 4
	}
	var legend []legendEntry
	for i, l := range lines {
		col, dash := styleOf(i)
		if l.dashed {
			dash = overlayDash
		}
		ln, err := plotter.NewLine(l.xys)
		if err != nil {
			return "", nil, err
		}
		ln.Color, ln.Width, ln.Dashes = col, dataWidth, dash
		if l.stepped {
			ln.StepStyle = plotter.PostStep
		}
		p.Add(ln)
		if l.marked {
			pts, err := plotter.NewScatter(l.xys)
			if err != nil {
				return "", nil, err
			}
			pts.Color, pts.Shape, pts.Radius = col, draw.CircleGlyph{}, 2.5
			p.Add(pts)
		}
		legend = append(legend, legendEntry{Name: l.name, Color: hexColor(col), Dash: dashString(dash), Marked: l.marked})
	}

	svg := vgsvg.New(chartW, chartH)
	fit := &fitText{Canvas: svg}
	dc := draw.New(fit)
	p.Draw(draw.Crop(dc, margin, -margin, margin, -margin))
	var b bytes.Buffer
	if _, err := svg.WriteTo(&b); err != nil {
		return "", nil, err
	}
	return fit.rewrite(b.String()), legend, nil
}

// fitText is the SVG canvas with a note of each text's measured width:
// gonum places text by the widths of the font it measures with, and a
// browser without that font draws wider or narrower glyphs, so a label
// centred on the last tick ran past the chart's edge ("7000" read "700").
// Telling each <text> its length makes the browser fit its glyphs to it.
type fitText struct {
	*vgsvg.Canvas
	widths []vg.Length
}

// FillString notes the width of str before drawing it.
func (f *fitText) FillString(fnt font.Face, pt vg.Point, str string) {
	f.widths = append(f.widths, fnt.Width(str))
	f.Canvas.FillString(fnt, pt, str)
}

// rewrite makes the canvas's SVG inline (no XML prolog), names the font
// with its fallbacks, and gives each text, in the order drawn, its
// measured length.
func (f *fitText) rewrite(svg string) string {
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:]
	}
	svg = strings.ReplaceAll(svg, "font-family:Liberation Sans;", svgFamily)
	parts := strings.Split(svg, "<text ")
	if len(parts)-1 != len(f.widths) {
		return svg // not the canvas's texts one for one: leave them as drawn
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for i, rest := range parts[1:] {
		b.WriteString("<text ")
		if w := f.widths[i]; w > 0 {
			fmt.Fprintf(&b, `textLength="%.2f" lengthAdjust="spacingAndGlyphs" `, float64(w))
		}
		b.WriteString(rest)
	}
	return b.String()
}

// marks draws the vertical lines of a time chart with their labels above
// the data area; a label that would run into the previous one is left
// out (the line stays), and one that would pass the right edge is put
// left of its line.
type marks struct {
	at    []mark
	style text.Style
}

// Plot implements plot.Plotter.
func (m *marks) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	ls := draw.LineStyle{Color: markColor, Width: 0.75, Dashes: []vg.Length{3, 2}}
	y := c.Max.Y + 2 // in the room the title's padding keeps
	lastEnd := vg.Length(math.Inf(-1))
	for _, mk := range m.at {
		if mk.x < plt.X.Min || mk.x > plt.X.Max {
			continue
		}
		x := trX(mk.x)
		c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		if mk.label == "" {
			continue
		}
		w := m.style.Width(mk.label)
		left := x + 2
		if left+w > c.Max.X {
			left = x - 2 - w
		}
		if left < lastEnd+4 {
			continue
		}
		sty := m.style
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
		c.FillText(sty, vg.Point{X: left, Y: y}, mk.label)
		lastEnd = left + w
	}
}

// bounds is the extent of the lines' points.
func bounds(lines []line) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, l := range lines {
		for _, pt := range l.xys {
			xmin, xmax = min(xmin, pt.X), max(xmax, pt.X)
			ymin, ymax = min(ymin, pt.Y), max(ymax, pt.Y)
		}
	}
	return xmin, xmax, ymin, ymax
}

func setX(p *plot.Plot, s spec, lines []line, xmin, xmax float64) {
	switch s.x {
	case xPercentile:
		// The axis ends on the first percentile tick past the data, as
		// HdrHistogram's plotter draws it, so that the deepest
		// percentile reached is labelled.
		p.X.Scale = plot.LogScale{}
		p.X.Min = 1
		p.X.Max = max(10, math.Pow(10, math.Ceil(math.Log10(xmax)-1e-9)))
		p.X.Tick.Marker = percentileTicks{}
	case xLevels:
		var levels []float64
		for _, l := range lines {
			for _, pt := range l.xys {
				levels = append(levels, pt.X)
			}
		}
		slices.Sort(levels)
		levels = slices.Compact(levels)
		// Half a step either side keeps the first and last markers off
		// the frame.
		pad := math.Abs(xmax) * 0.1
		if len(levels) > 1 {
			pad = (levels[len(levels)-1] - levels[0]) / float64(len(levels)-1) / 2
		}
		if pad == 0 {
			pad = 1
		}
		p.X.Min, p.X.Max = xmin-pad, xmax+pad
		p.X.Tick.Marker = levelTicks(levels)
	default:
		hi := xmax
		for _, m := range s.marks {
			hi = max(hi, m.x)
		}
		if hi <= 0 {
			hi = 1
		}
		step := niceStep(hi/8, false)
		p.X.Min, p.X.Max = 0, hi
		p.X.Tick.Marker = linearTicks{step: step}
	}
}

func setY(p *plot.Plot, s spec, lines []line, ymin, ymax float64) {
	if s.latency && logY(lines) {
		p.Y.Scale = plot.LogScale{}
		p.Y.Min, p.Y.Max = floor125(ymin), ceil125(ymax)
		p.Y.Tick.Marker = logTicks{}
		p.Y.Label.Text += " (log scale)"
		return
	}
	flat := ymax <= 0
	if flat {
		ymax = 1 // all zero: a flat line at the bottom, an axis to read it on
	}
	step := niceStep(ymax/5, s.counts)
	p.Y.Min, p.Y.Max = 0, math.Ceil(ymax/step-1e-9)*step
	if !flat && p.Y.Max-ymax < step/20 {
		p.Y.Max += step // a line at the top tick would lie on the frame
	}
	p.Y.Tick.Marker = linearTicks{step: step}
}

// logY decides a latency chart's y scale. Linear reads best and is what
// HdrHistogram's plotter draws, so it is the rule; but when the largest
// value is more than 50 times the median of the values plotted, a
// linear axis squeezes the body of the data (where most requests are)
// into the bottom 2% of the chart to make room for a few slow ones, and
// a log scale shows both the body and the tail.
func logY(lines []line) bool {
	var ys []float64
	for _, l := range lines {
		for _, pt := range l.xys {
			ys = append(ys, pt.Y)
		}
	}
	if len(ys) == 0 {
		return false
	}
	slices.Sort(ys)
	med := ys[len(ys)/2]
	return med > 0 && ys[len(ys)-1] > 50*med
}

// positive drops the points a log scale cannot show (a latency of 0: a
// request faster than the histogram's resolution).
func positive(xys plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, 0, len(xys))
	for _, pt := range xys {
		if pt.Y > 0 {
			out = append(out, pt)
		}
	}
	return out
}

// niceStep is the smallest step of 1, 2, 2.5 or 5 times a power of ten
// at least raw (whole numbers only, for counts: 2.5 is left out and
// the step is at least 1).
func niceStep(raw float64, whole bool) float64 {
	if raw <= 0 || math.IsInf(raw, 0) || math.IsNaN(raw) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		st := m * mag
		if whole && (m == 2.5 && mag < 10 || st < 1) {
			continue
		}
		if st >= raw*(1-1e-9) {
			return st
		}
	}
	return 10 * mag
}

func floor125(v float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*mag <= v*(1+1e-9) {
			return m * mag
		}
	}
	return mag
}

func ceil125(v float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= v*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// linearTicks puts a labelled tick at every multiple of step in range.
type linearTicks struct{ step float64 }

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	var vs []float64
	for i := math.Ceil(lo/t.step - 1e-9); i*t.step <= hi*(1+1e-9)+1e-12; i++ {
		vs = append(vs, i*t.step)
	}
	return labelled(vs)
}

// levelTicks puts a tick at each level of a capacity search, labelling
// at most about twelve of them so that their labels never run together.
type levelTicks []float64

// Ticks implements plot.Ticker.
func (t levelTicks) Ticks(lo, hi float64) []plot.Tick {
	every := (len(t) + 11) / 12
	var vs []float64
	for i, v := range t {
		if i%every == 0 {
			vs = append(vs, v)
		}
	}
	ticks := labelled(vs)
	for i, v := range t {
		if i%every != 0 {
			ticks = append(ticks, plot.Tick{Value: v}) // minor: no label
		}
	}
	return ticks
}

// logTicks marks a log axis at 1, 2 and 5 times each power of ten,
// labelling all three over up to three decades and only the powers of
// ten over more.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	all := math.Log10(hi)-math.Log10(lo) <= 3+1e-9
	var major, minor []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			if m == 1 || all {
				major = append(major, v)
			} else {
				minor = append(minor, v)
			}
		}
	}
	ticks := labelled(major)
	for _, v := range minor {
		ticks = append(ticks, plot.Tick{Value: v})
	}
	return ticks
}

func labelled(vs []float64) []plot.Tick {
	labels := tickLabels(vs)
	ticks := make([]plot.Tick, len(vs))
	for i, v := range vs {
		ticks[i] = plot.Tick{Value: v, Label: labels[i]}
	}
	return ticks
}

// tickLabels labels tick values with the fewest digits that give each
// value back (750, 0.25, 2.5: never 750.00), with a k (thousands) when
// the largest is 10,000 or more and an M (millions) from 10,000,000, so
// that a label has at most about four digits. Distinct values get
// distinct labels: if rounding made two equal, every label gets more
// digits until none are.
func tickLabels(vs []float64) []string {
	var big float64
	for _, v := range vs {
		big = max(big, math.Abs(v))
	}
	div, suffix := 1.0, ""
	switch {
	case big >= 1e7:
		div, suffix = 1e6, "M"
	case big >= 1e4:
		div, suffix = 1e3, "k"
	}
	// A value is given back when the label is within a billionth of the
	// largest: what float arithmetic leaves on 0.1+0.2 is not a digit.
	tol := big / div * 1e-9
	out := make([]string, len(vs))
	for i, v := range vs {
		if out[i] = shortest(v/div, tol); out[i] != "0" {
			out[i] += suffix // 0 is 0 in any unit
		}
	}
	for digits := 1; digits <= 17 && !distinct(vs, out); digits++ {
		for i, v := range vs {
			out[i] = strconv.FormatFloat(v/div, 'g', digits, 64) + suffix
		}
	}
	return out
}

// shortest formats x with the fewest decimals (up to 9) within tol of it.
func shortest(x, tol float64) string {
	if math.Abs(x) <= tol {
		return "0" // never "-0"
	}
	for d := 0; d < 9; d++ {
		s := strconv.FormatFloat(x, 'f', d, 64)
		if y, err := strconv.ParseFloat(s, 64); err == nil && math.Abs(y-x) <= tol {
			return s
		}
	}
	return strconv.FormatFloat(x, 'f', 9, 64)
}

// distinct says that values that differ have labels that differ.
func distinct(vs []float64, labels []string) bool {
	seen := map[string]float64{}
	for i, l := range labels {
		if v, ok := seen[l]; ok && v != vs[i] {
			return false
		}
		seen[l] = vs[i]
	}
	return true
}

// percentileTicks labels a 1/(1-p) axis with percentiles: 0% (x=1), 50%
// (x=2), then each further nine (90%, 99%, 99.9%, ...) at the powers of
// ten, as HdrHistogram's plotter. The positions are exact powers of ten,
// not 1/(1-p) computed, so that the tick at the axis's end is not a
// rounding error past it (gonum would then leave its label no room).
type percentileTicks struct{}

// Ticks implements plot.Ticker.
func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := []plot.Tick{{Value: 1, Label: "0%"}, {Value: 2, Label: "50%"}}
	for k := 1; k <= 9; k++ {
		nines := 100 - math.Pow(10, float64(2-k))
		ticks = append(ticks, plot.Tick{Value: math.Pow(10, float64(k)), Label: strconv.FormatFloat(nines, 'f', max(0, k-2), 64) + "%"})
	}
	return slices.DeleteFunc(ticks, func(t plot.Tick) bool { return t.Value < lo || t.Value > hi })
}

// distribution turns a histogram into a percentile curve: latency in ms
// against 1/(1-p), up to the last value recorded.
func distribution(h *hdr.Histogram) plotter.XYs {
	if h == nil || h.TotalCount() == 0 {
		return nil
	}
	var xys plotter.XYs
	total := float64(h.TotalCount())
	for _, b := range h.CumulativeDistribution() {
		p := b.Quantile / 100
		if float64(b.Count) >= total || p >= 1 {
			p = 1 - 0.5/total // the last point: as far as the samples reach
		}
		xys = append(xys, plotter.XY{X: 1 / (1 - p), Y: float64(b.ValueAt) / 1000})
		if float64(b.Count) >= total {
			break
		}
	}
	return xys
}
