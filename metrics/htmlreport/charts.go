package htmlreport

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// line is one named series of a chart; marked lines show each point
// (the steps of a capacity search are few and discrete).
type line struct {
	name   string
	xys    plotter.XYs
	marked bool
}

// chart draws lines as an inline SVG. logX draws the x axis as a
// percentile scale: x is 1/(1-p), on a log scale, as HdrHistogram's
// plotter draws percentile distributions.
func chart(title, xLabel, yLabel string, lines []line, logX bool) (string, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = percentileTicks{}
	}
	n := 0
	for i, l := range lines {
		if len(l.xys) == 0 {
			continue
		}
		ln, err := plotter.NewLine(l.xys)
		if err != nil {
			return "", err
		}
		ln.Color = plotutil.Color(i)
		ln.Width = vg.Points(1.5)
		p.Add(ln)
		p.Legend.Add(l.name, ln)
		if l.marked {
			pts, err := plotter.NewScatter(l.xys)
			if err != nil {
				return "", err
			}
			pts.Color = ln.Color
			pts.Shape = draw.CircleGlyph{}
			p.Add(pts)
		}
		n++
	}
	if n == 0 {
		return "", nil
	}
	p.Y.Min = 0
	wt, err := p.WriterTo(9*vg.Inch, 3.6*vg.Inch, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	svg := b.String()
	if i := strings.Index(svg, "<svg"); i > 0 {
		svg = svg[i:] // inline: drop the XML prolog
	}
	return svg, nil
}

// percentileTicks labels a 1/(1-p) axis with percentiles.
type percentileTicks struct{}

func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, p := range []float64{0, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999} {
		x := 1 / (1 - p)
		if x < lo || x > hi*1.0001 {
			continue
		}
		label := fmt.Sprintf("%g%%", math.Round(p*1e6)/1e4)
		ticks = append(ticks, plot.Tick{Value: x, Label: label})
	}
	return ticks
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
