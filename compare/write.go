package compare

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteText writes the comparison as a table: the changed rows and those
// present on one side only, or every row with all; then a line on what
// was left out and how the rows were judged.
func WriteText(w io.Writer, a, b []string, rows []Row, all bool) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "A: %s\nB: %s\n\n", strings.Join(a, " "), strings.Join(b, " "))
	shown := rows
	if !all {
		shown = Changed(rows)
	}
	judged, changed := 0, 0
	for _, r := range rows {
		if r.Judged() {
			judged++
		}
		if r.Changed {
			changed++
		}
	}
	switch {
	case len(shown) == 0 && judged == 0:
		sb.WriteString("no figure could be judged.\n")
	case len(shown) == 0:
		fmt.Fprintf(&sb, "no change beyond noise in the %d figures judged.\n", judged)
	default:
		writeRows(&sb, shown)
	}
	if hidden := len(rows) - len(shown); hidden > 0 {
		fmt.Fprintf(&sb, "\n%d more rows, unchanged, not judged, or on one side with fewer than %d values (--all shows them).\n", hidden, minOneSided)
	}
	fmt.Fprintf(&sb, "\n%d of %d figures changed beyond noise (*: Welch's t-test, p < %g, on %s; and more than %g%% apart).\n",
		changed, judged, Alpha, replicates(len(a), len(b)), 100*resolution)
	if judged < len(rows) {
		fmt.Fprintf(&sb, "%d figures not judged (-): too few replicates; %s.\n", len(rows)-judged, hint(len(a), len(b)))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func writeRows(sb *strings.Builder, rows []Row) {
	tw := tabwriter.NewWriter(sb, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "request\tmetric\tA\tB\tchange\t")
	last := "\x00"
	for _, r := range rows {
		req := r.Request
		if req == "" {
			req = "(run)"
		}
		if req == last {
			req = ""
		} else {
			last = req
		}
		a, b := numOr(r.A), numOr(r.B)
		change := "   -"
		switch {
		case r.Only != "":
			change = "only in " + r.Only
		case r.Change != nil:
			change = fmt.Sprintf("%+.1f%%", *r.Change)
		}
		switch {
		case r.Changed:
			change += " *"
		case r.Only == "" && !r.Judged():
			change += " (-)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", req, r.Metric, a, b, change)
	}
	tw.Flush()
}

func replicates(na, nb int) string {
	if na > 1 && nb > 1 {
		return fmt.Sprintf("the %d and %d runs' values", na, nb)
	}
	return "each run's one-second intervals"
}

func hint(na, nb int) string {
	if na > 1 && nb > 1 {
		return "give 2 or more runs with the figure on each side"
	}
	return "the phases and connections are not in a run's timeline: give several runs per side (cohort compare A1 A2 A3 -- B1 B2 B3) to judge them"
}

// numOr shows a figure, or nothing for a side without it.
func numOr(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
