package k8s

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// monitoringDir is the component with the PodMonitors, the alerts and the
// dashboard; monitoredOverlay is the overlay that opts into it.
const (
	monitoringDir    = "components/monitoring"
	monitoredOverlay = "prod"
)

// podMonitor is the part of the Prometheus Operator's PodMonitor
// (monitoring.coreos.com/v1) the manifests use, decoded strictly like
// scaledObject.
type podMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
			Relabelings   []struct {
				Action       string   `json:"action"`
				SourceLabels []string `json:"sourceLabels"`
				Regex        string   `json:"regex"`
				TargetLabel  string   `json:"targetLabel"`
				Replacement  string   `json:"replacement"`
			} `json:"relabelings"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// prometheusRule is the Prometheus Operator's PrometheusRule: its spec is a
// Prometheus rule file.
type prometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ruleFile `json:"spec"`
}

// ruleFile is Prometheus's rule file format, every field promtool reads.
type ruleFile struct {
	Groups []struct {
		Name     string `json:"name"`
		Interval string `json:"interval,omitempty"`
		Rules    []rule `json:"rules"`
	} `json:"groups"`
}

type rule struct {
	Alert       string            `json:"alert,omitempty"`
	Record      string            `json:"record,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// alertRules is the overlay's one PrometheusRule.
func alertRules(tb testing.TB, r rendered) prometheusRule {
	tb.Helper()
	var pr prometheusRule
	r.one(tb, "PrometheusRule", "mlserve", &pr)
	return pr
}

// alertNames are the alerts of pr, in order.
func (pr prometheusRule) alertNames() []string {
	var names []string
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	return names
}

// grafanaDashboard is the part of Grafana's dashboard JSON the tests read.
type grafanaDashboard struct {
	UID    string         `json:"uid"`
	Title  string         `json:"title"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// dashboard is the dashboard of the overlay's ConfigMap for Grafana's
// sidecar, which loads every ConfigMap labelled grafana_dashboard: "1".
func dashboard(tb testing.TB, r rendered) grafanaDashboard {
	tb.Helper()
	var cm corev1.ConfigMap
	r.one(tb, "ConfigMap", "mlserve-dashboard", &cm)
	if cm.Labels["grafana_dashboard"] != "1" {
		tb.Errorf("ConfigMap %s: labels %v, want grafana_dashboard: \"1\" for Grafana's sidecar", cm.Name, cm.Labels)
	}
	if len(cm.Data) != 1 || cm.Data["dashboard.json"] == "" {
		tb.Fatalf("ConfigMap %s holds %v, want dashboard.json only", cm.Name, slices.Sorted(maps.Keys(cm.Data)))
	}
	var d grafanaDashboard
	if err := json.Unmarshal([]byte(cm.Data["dashboard.json"]), &d); err != nil {
		tb.Fatalf("dashboard.json: %v", err)
	}
	return d
}

// grafanaVariables are the variables Grafana replaces in a query before
// Prometheus sees it, with a value of the kind it puts there.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h")

// dashboardQuery is one query of a panel, as Prometheus receives it.
type dashboardQuery struct {
	panel int
	title string
	refID string
	expr  string
}

func (q dashboardQuery) String() string {
	return fmt.Sprintf("panel %d %q query %s", q.panel, q.title, q.refID)
}

// record is the name promtool checks q under.
func (q dashboardQuery) record() string {
	return fmt.Sprintf("dashboard:panel_%d_%s", q.panel, q.refID)
}

// dashboardQueries are the dashboard's queries, Grafana's variables
// replaced.
func dashboardQueries(tb testing.TB, d grafanaDashboard) []dashboardQuery {
	tb.Helper()
	var queries []dashboardQuery
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			q := dashboardQuery{panel: p.ID, title: p.Title, refID: t.RefID, expr: grafanaVariables.Replace(t.Expr)}
			if strings.Contains(q.expr, "$") {
				tb.Errorf("%v uses a variable the dashboard does not define: %s", q, t.Expr)
			}
			queries = append(queries, q)
		}
	}
	return queries
}

// Prometheus scrapes every api and worker pod, on a port the pod declares,
// under the job names the alerts and the dashboard use.
func TestPodMonitorsScrapeEveryPod(t *testing.T) {
	r := render(t, monitoredOverlay)
	for _, w := range []struct{ deployment, container, port string }{
		{apiDeployment, "api", "http"}, {workerDeployment, "worker", "metrics"},
	} {
		var pm podMonitor
		r.one(t, "PodMonitor", w.deployment, &pm)
		var d appsv1.Deployment
		r.one(t, "Deployment", w.deployment, &d)
		if !selects(pm.Spec.Selector, d.Spec.Template.Labels) {
			t.Errorf("PodMonitor %s does not select the pods of %s", pm.Name, w.deployment)
		}
		for _, o := range r.find("Deployment", "") {
			var other appsv1.Deployment
			r.one(t, "Deployment", o.Name, &other)
			if other.Name != w.deployment && selects(pm.Spec.Selector, other.Spec.Template.Labels) {
				t.Errorf("PodMonitor %s also selects the pods of %s", pm.Name, other.Name)
			}
		}
		c := containerNamed(t, d.Spec.Template.Spec, w.container)
		if len(pm.Spec.PodMetricsEndpoints) != 1 {
			t.Fatalf("PodMonitor %s: %d endpoints, want 1", pm.Name, len(pm.Spec.PodMetricsEndpoints))
		}
		ep := pm.Spec.PodMetricsEndpoints[0]
		if ep.Port != w.port || ep.Path != "/metrics" || !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == ep.Port }) {
			t.Errorf("PodMonitor %s scrapes port %q path %q; want /metrics on %s's declared port %s", pm.Name, ep.Port, ep.Path, w.container, w.port)
		}
		job := ""
		for _, rl := range ep.Relabelings {
			if rl.TargetLabel == "job" && rl.Action == "replace" && len(rl.SourceLabels) == 0 {
				job = rl.Replacement
			}
		}
		if job != w.deployment {
			t.Errorf("PodMonitor %s: job label %q, want %q (the alerts select it)", pm.Name, job, w.deployment)
		}
	}
}

// The jobs the alerts and the dashboard select by are the PodMonitors'.
func TestMonitoringSelectsTheScrapedJobs(t *testing.T) {
	r := render(t, monitoredOverlay)
	jobMatcher := regexp.MustCompile(`job\s*(=~|=)\s*"([^"]*)"`)
	exprs := map[string]string{}
	for _, q := range dashboardQueries(t, dashboard(t, r)) {
		exprs[q.String()] = q.expr
	}
	for _, g := range alertRules(t, r).Spec.Groups {
		for _, rule := range g.Rules {
			exprs["alert "+rule.Alert] = rule.Expr
		}
	}
	for _, where := range slices.Sorted(maps.Keys(exprs)) {
		for _, m := range jobMatcher.FindAllStringSubmatch(exprs[where], -1) {
			for _, job := range strings.Split(m[2], "|") {
				if len(r.find("PodMonitor", job)) != 1 {
					t.Errorf("%s selects job %q, which no PodMonitor sets", where, job)
				}
			}
		}
	}
}

// The alerts pass `promtool check rules` (its linter too) and their unit
// tests, in which every alert fires on a bad series and stays quiet on a
// healthy one.
func TestAlertsPassPromtool(t *testing.T) {
	bin := promtool(t)
	pr := alertRules(t, render(t, monitoredOverlay))
	const rulesName = "alerts.yaml" // what alerts_test.yaml's rule_files names
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, rulesName), pr.Spec)
	tests, err := os.ReadFile(filepath.Join(monitoringDir, "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, dir, "check", "rules", "--lint=all", "--lint-fatal", rulesName)
	runPromtool(t, bin, dir, "test", "rules", "alerts_test.yaml")

	var unit struct {
		RuleFiles []string `json:"rule_files"`
		Tests     []struct {
			Name          string `json:"name"`
			AlertRuleTest []struct {
				Alertname string            `json:"alertname"`
				ExpAlerts []json.RawMessage `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(tests, &unit); err != nil {
		t.Fatalf("alerts_test.yaml: %v", err)
	}
	if !slices.Equal(unit.RuleFiles, []string{rulesName}) {
		t.Errorf("alerts_test.yaml tests rule_files %q, want [%s]", unit.RuleFiles, rulesName)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range unit.Tests {
		for _, at := range tc.AlertRuleTest {
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname] = true
			} else {
				quiet[at.Alertname] = true
			}
		}
	}
	names := pr.alertNames()
	if len(names) == 0 {
		t.Fatal("the PrometheusRule has no alerts")
	}
	for _, a := range names {
		if !fires[a] || !quiet[a] {
			t.Errorf("alert %s: a test where it fires: %v, where it stays quiet: %v; want both", a, fires[a], quiet[a])
		}
	}
	for a := range maps.Keys(fires) {
		if !slices.Contains(names, a) {
			t.Errorf("alerts_test.yaml tests %s, which is no alert", a)
		}
	}
}

// Every alert routes by severity and says what is wrong.
func TestAlertsAreLabelledAndDescribed(t *testing.T) {
	for _, g := range alertRules(t, render(t, monitoredOverlay)).Spec.Groups {
		for _, rule := range g.Rules {
			if s := rule.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q, want critical or warning", rule.Alert, s)
			}
			if rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("alert %s lacks a summary or a description", rule.Alert)
			}
		}
	}
}

// The dashboard has the panels an operator looks for, each querying the
// dashboard's data source variable, and every query parses: promtool
// checks them as the expressions of recording rules.
func TestDashboardQueriesParse(t *testing.T) {
	d := dashboard(t, render(t, monitoredOverlay))
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard uid %q title %q: want both", d.UID, d.Title)
	}
	var titles []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: %d queries, data source %+v; want queries of ${datasource}", p.Title, len(p.Targets), p.Datasource)
		}
	}
	for _, want := range []string{
		"Request rate by route", "Error ratio", "Latency p50 by route", "Latency p99 by route",
		"Predictions by model and version", "Queue depth by state", "Job durations",
	} {
		if !slices.Contains(titles, want) {
			t.Errorf("the dashboard has no panel %q (panels: %q)", want, titles)
		}
	}

	bin := promtool(t)
	queries := dashboardQueries(t, d)
	var rules ruleFile
	rules.Groups = append(rules.Groups, struct {
		Name     string `json:"name"`
		Interval string `json:"interval,omitempty"`
		Rules    []rule `json:"rules"`
	}{Name: "dashboard"})
	for _, q := range queries {
		rules.Groups[0].Rules = append(rules.Groups[0].Rules, rule{Record: q.record(), Expr: q.expr})
	}
	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "dashboard.yaml"), rules)
	runPromtool(t, bin, dir, "check", "rules", "dashboard.yaml")
}

func writeYAML(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
