package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Format names a report format.
type Format string

// Report formats.
const (
	Text  Format = "text"
	JSON  Format = "json"
	JUnit Format = "junit"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, JUnit:
		return f, nil
	}
	return "", fmt.Errorf("unknown report format %q (text, json, junit)", s)
}

// Write writes the report in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case JSON:
		return r.WriteJSON(w)
	case JUnit:
		return r.WriteJUnit(w)
	}
	return r.WriteText(w)
}

// WriteJSON writes the whole report, exchanges included, as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type suiteCount struct {
	name                        string
	pass, fail, skip, err, divs int
}

func (r *Report) suiteCounts() []*suiteCount {
	var order []string
	m := map[string]*suiteCount{}
	for _, res := range r.Results {
		sc, ok := m[res.Suite]
		if !ok {
			sc = &suiteCount{name: res.Suite}
			m[res.Suite] = sc
			order = append(order, res.Suite)
		}
		switch res.Outcome {
		case Pass:
			sc.pass++
		case Fail:
			sc.fail++
		case Skip:
			sc.skip++
		case Error:
			sc.err++
		}
		if len(res.Divergences) > 0 {
			sc.divs++
		}
	}
	out := make([]*suiteCount, 0, len(order))
	for _, n := range order {
		out = append(out, m[n])
	}
	return out
}

// WriteText writes a summary per suite, then every failure with its
// exchange, every divergence, and every skip with its reason.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "sscard conformance report\ntarget: %s\n", r.Target)
	if r.Against != "" {
		fmt.Fprintf(ew, "compared with: %s\n", r.Against)
	}
	fmt.Fprintf(ew, "%d cases in %s\n\n", len(r.Results), r.Duration.Round(time.Millisecond))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "suite\tpassed\tfailed\tskipped\terrors\tdiverged")
	for _, sc := range r.suiteCounts() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", sc.name, sc.pass, sc.fail, sc.skip, sc.err, sc.divs)
	}
	tw.Flush()
	for _, res := range r.Results {
		if res.Outcome == Fail || res.Outcome == Error {
			fmt.Fprintln(ew)
			var sb strings.Builder
			writeFailure(&sb, res)
			fmt.Fprint(ew, sb.String())
		}
	}
	for _, res := range r.Results {
		if len(res.Divergences) == 0 {
			continue
		}
		fmt.Fprintf(ew, "\nDIVERGES %s %s (card: %s, model: %s)\n", res.ID, res.Title, res.Outcome, res.ModelOutcome)
		for _, d := range res.Divergences {
			fmt.Fprintf(ew, "  #%d %s", d.Index+1, d.What)
			if d.Step != "" {
				fmt.Fprintf(ew, " [%s]", d.Step)
			}
			if d.Command != "" {
				fmt.Fprintf(ew, " after > %s", d.Command)
			}
			fmt.Fprintf(ew, "\n      card:  %s\n      model: %s\n", d.Real, d.Model)
		}
	}
	skips := map[string][]string{}
	for _, res := range r.Results {
		if res.Outcome == Skip {
			skips[res.Reason] = append(skips[res.Reason], res.ID)
		}
	}
	if len(skips) > 0 {
		fmt.Fprintln(ew, "\nskipped:")
		reasons := make([]string, 0, len(skips))
		for k := range skips {
			reasons = append(reasons, k)
		}
		sort.Strings(reasons)
		for _, k := range reasons {
			fmt.Fprintf(ew, "  %s: %s\n", k, strings.Join(skips[k], ", "))
		}
	}
	c := r.Counts()
	verdict := "PASS"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(ew, "\n%s: %d passed, %d failed, %d skipped, %d errors\n", verdict, c[Pass], c[Fail], c[Skip], c[Error])
	return ew.err
}

// writeFailure renders one failed case: what was checked, each failure with
// expected, got and diff, and the exchange.
func writeFailure(sb *strings.Builder, res *Result) {
	fmt.Fprintf(sb, "%s %s %s\n  clause: %s", strings.ToUpper(string(res.Outcome)), res.ID, res.Title, res.Clause)
	if res.Model {
		sb.WriteString(" [model choice]")
	}
	sb.WriteString("\n")
	if res.Reason != "" {
		fmt.Fprintf(sb, "  %s\n", res.Reason)
	}
	for _, f := range res.Failures {
		sb.WriteString("  - ")
		if f.Step != "" {
			fmt.Fprintf(sb, "[%s] ", f.Step)
		}
		sb.WriteString(f.Message + "\n")
		if f.Expected != "" || f.Got != "" {
			fmt.Fprintf(sb, "    expected: %s\n    got:      %s\n", f.Expected, f.Got)
		}
		if f.Diff != "" {
			fmt.Fprintf(sb, "    diff (-expected +got):\n")
			for _, l := range strings.Split(strings.TrimRight(f.Diff, "\n"), "\n") {
				fmt.Fprintf(sb, "      %s\n", l)
			}
		}
	}
	if len(res.Exchanges) > 0 {
		sb.WriteString("  exchange:\n")
		writeExchanges(sb, res.Exchanges, "    ")
	}
}

func writeExchanges(sb *strings.Builder, xs []Exchange, indent string) {
	step := ""
	for _, e := range xs {
		if e.Step != step && e.Step != "" {
			fmt.Fprintf(sb, "%s# %s\n", indent, e.Step)
			step = e.Step
		}
		dev := ""
		if e.Device != "card" {
			dev = e.Device + " "
		}
		fmt.Fprintf(sb, "%s%s> %s\n", indent, dev, e.Command)
		if e.Err != "" {
			fmt.Fprintf(sb, "%s%s! %s\n", indent, dev, e.Err)
		} else {
			fmt.Fprintf(sb, "%s%s< %s\n", indent, dev, e.Response)
		}
	}
}

// JUnit XML, as Jenkins, GitLab and GitHub read it.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML: one testsuite per suite, one
// testcase per case; a divergence in a differential run is a failure.
func (r *Report) WriteJUnit(w io.Writer) error {
	root := junitSuites{Name: "sscard conformance: " + r.Target, Time: seconds(r.Duration)}
	idx := map[string]int{}
	for _, res := range r.Results {
		i, ok := idx[res.Suite]
		if !ok {
			i = len(root.Suites)
			idx[res.Suite] = i
			root.Suites = append(root.Suites, junitSuite{Name: res.Suite, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05")})
		}
		s := &root.Suites[i]
		jc := junitCase{Name: res.ID + " " + res.Title, Classname: "sscard." + res.Suite, Time: seconds(res.Duration)}
		var sb strings.Builder
		writeFailure(&sb, res)
		switch {
		case res.Outcome == Fail || len(res.Divergences) > 0:
			msg := res.Title
			if len(res.Failures) > 0 {
				msg = res.Failures[0].Message
			} else if len(res.Divergences) > 0 {
				msg = fmt.Sprintf("%d divergences from the model", len(res.Divergences))
				for _, d := range res.Divergences {
					fmt.Fprintf(&sb, "  #%d %s: card %s, model %s\n", d.Index+1, d.What, d.Real, d.Model)
				}
			}
			jc.Failure = &junitMessage{Message: msg, Type: res.Clause, Body: sb.String()}
			s.Failures++
			root.Failures++
		case res.Outcome == Error:
			jc.Error = &junitMessage{Message: res.Reason, Body: sb.String()}
			s.Errors++
			root.Errors++
		case res.Outcome == Skip:
			jc.Skipped = &junitMessage{Message: res.Reason}
			s.Skipped++
			root.Skipped++
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, jc)
	}
	for i := range root.Suites {
		var d time.Duration
		for _, res := range r.Results {
			if res.Suite == root.Suites[i].Name {
				d += res.Duration
			}
		}
		root.Suites[i].Time = seconds(d)
	}
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
