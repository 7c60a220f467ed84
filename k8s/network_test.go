package k8s

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// peer is one end of a connection: a pod (of the namespace or another) or an
// address outside the cluster.
type peer struct {
	name      string
	namespace string // "" outside the cluster
	labels    map[string]string
	ip        netip.Addr // outside the cluster only
}

// The peers from outside the namespace the policies must tell apart.
var (
	internet          = peer{name: "internet", ip: netip.MustParseAddr("203.0.113.7")}
	ingressController = peer{name: "ingress-controller", namespace: "ingress-nginx", labels: map[string]string{"app.kubernetes.io/name": "ingress-nginx"}}
	kubeDNS           = peer{name: "kube-dns", namespace: "kube-system", labels: map[string]string{"k8s-app": "kube-dns"}}
	kedaOperator      = peer{name: "keda-operator", namespace: "keda", labels: map[string]string{"app.kubernetes.io/name": "keda-operator"}}
	// A pod of another namespace that copies the api's labels: selectors
	// without a namespaceSelector must not let it in.
	impostor = peer{name: "impostor", namespace: "other", labels: map[string]string{"app.kubernetes.io/name": "mlserve", "app.kubernetes.io/component": "api"}}
	// Prometheus, in the namespace the policies admit scrapes from.
	prometheus = peer{name: "prometheus", namespace: "monitoring", labels: map[string]string{"app.kubernetes.io/name": "prometheus"}}
	// A managed store outside the cluster (prod).
	managedStore = peer{name: "managed-store", ip: netip.MustParseAddr("198.51.100.20")}
)

// policies evaluates the rendered NetworkPolicies the way the network
// plugin enforces them: a pod selected by a policy of a direction admits in
// that direction only what one of those policies allows; a pod no policy of a
// direction selects is open in it.
type policies struct {
	ns   string
	list []networkingv1.NetworkPolicy
}

// allows reports whether from may open a connection to to's port.
func (p policies) allows(from, to peer, proto corev1.Protocol, port int32) bool {
	return p.allowsIn(networkingv1.PolicyTypeEgress, from, to, proto, port) &&
		p.allowsIn(networkingv1.PolicyTypeIngress, to, from, proto, port)
}

// allowsIn: may self, in direction dir, exchange with other on port?
func (p policies) allowsIn(dir networkingv1.PolicyType, self, other peer, proto corev1.Protocol, port int32) bool {
	if self.namespace != p.ns {
		return true // not governed by these policies
	}
	isolated := false
	for _, np := range p.list {
		if !slices.Contains(np.Spec.PolicyTypes, dir) || !selects(np.Spec.PodSelector, self.labels) {
			continue
		}
		isolated = true
		if dir == networkingv1.PolicyTypeIngress {
			for _, rule := range np.Spec.Ingress {
				if p.peersMatch(rule.From, other) && portsMatch(rule.Ports, proto, port) {
					return true
				}
			}
		} else {
			for _, rule := range np.Spec.Egress {
				if p.peersMatch(rule.To, other) && portsMatch(rule.Ports, proto, port) {
					return true
				}
			}
		}
	}
	return !isolated
}

func (p policies) peersMatch(peers []networkingv1.NetworkPolicyPeer, other peer) bool {
	if len(peers) == 0 {
		return true
	}
	for _, np := range peers {
		switch {
		case np.IPBlock != nil:
			if other.namespace != "" {
				continue // pod traffic is matched by selectors, in practice
			}
			cidr := netip.MustParsePrefix(np.IPBlock.CIDR)
			excluded := slices.ContainsFunc(np.IPBlock.Except, func(e string) bool { return netip.MustParsePrefix(e).Contains(other.ip) })
			if cidr.Contains(other.ip) && !excluded {
				return true
			}
		case np.NamespaceSelector != nil:
			nsLabels := map[string]string{"kubernetes.io/metadata.name": other.namespace}
			if other.namespace != "" && selects(*np.NamespaceSelector, nsLabels) &&
				(np.PodSelector == nil || selects(*np.PodSelector, other.labels)) {
				return true
			}
		case np.PodSelector != nil:
			if other.namespace == p.ns && selects(*np.PodSelector, other.labels) {
				return true
			}
		}
	}
	return false
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, proto corev1.Protocol, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pr := corev1.ProtocolTCP
		if p.Protocol != nil {
			pr = *p.Protocol
		}
		if pr != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if p.Port.StrVal == "" && p.Port.IntVal <= port && port <= end {
			return true
		}
	}
	return false
}

func selects(sel metav1.LabelSelector, podLabels map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		panic(err) // the schema test reports invalid selectors
	}
	return s.Matches(labels.Set(podLabels))
}

// pods are the rendered workloads' pods, by workload name.
func pods(tb testing.TB, r rendered) map[string]peer {
	tb.Helper()
	out := map[string]peer{}
	add := func(name, ns string, l map[string]string) {
		out[name] = peer{name: name, namespace: ns, labels: l}
	}
	for _, o := range r.find("Deployment", "") {
		var d appsv1.Deployment
		r.one(tb, "Deployment", o.Name, &d)
		add(d.Name, d.Namespace, d.Spec.Template.Labels)
	}
	for _, o := range r.find("StatefulSet", "") {
		var s appsv1.StatefulSet
		r.one(tb, "StatefulSet", o.Name, &s)
		add(s.Name, s.Namespace, s.Spec.Template.Labels)
	}
	return out
}

type flow struct {
	from, to peer
	proto    corev1.Protocol
	port     int32
	allowed  bool
}

func (f flow) String() string {
	verdict := "blocked"
	if f.allowed {
		verdict = "allowed"
	}
	return fmt.Sprintf("%s → %s:%d/%s %s", f.from.name, f.to.name, f.port, f.proto, verdict)
}

// Clients reach nginx, only nginx reaches the API, only the api and the
// worker reach Redis and MongoDB, Prometheus reaches the metrics ports and
// no other, every pod resolves names, and nothing else gets in or out.
func TestNetworkPoliciesAllowOnlyTheArchitecture(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		p := policies{ns: "mlserve"}
		for _, o := range r.find("NetworkPolicy", "") {
			var np networkingv1.NetworkPolicy
			r.one(t, "NetworkPolicy", o.Name, &np)
			p.list = append(p.list, np)
		}
		all := pods(t, r)
		nginx, api, worker := all["nginx"], all[apiDeployment], all[workerDeployment]
		redis, mongo := managedStore, managedStore
		if r.overlay == "dev" {
			redis, mongo = all["redis"], all["mongo"]
		}
		tcp := corev1.ProtocolTCP
		flows := []flow{
			{internet, nginx, tcp, 8080, true},
			{ingressController, nginx, tcp, 8080, true},
			{nginx, api, tcp, 8080, true},
			{internet, api, tcp, 8080, false},
			{ingressController, api, tcp, 8080, false},
			{worker, api, tcp, 8080, false},
			{nginx, internet, tcp, 443, false},
			{api, internet, tcp, 443, false},
			{worker, internet, tcp, 443, false},
			{api, redis, tcp, 6379, true},
			{worker, redis, tcp, 6379, true},
			{api, mongo, tcp, 27017, true},
			{worker, mongo, tcp, 27017, true},
			{nginx, redis, tcp, 6379, false},
			{nginx, mongo, tcp, 27017, false},
			{impostor, api, tcp, 8080, false},
			{prometheus, api, tcp, 8080, true},
			{prometheus, worker, tcp, 9090, true},
			{prometheus, worker, tcp, 8080, false},
			{prometheus, api, tcp, 9090, false},
			{internet, worker, tcp, 9090, false},
			{ingressController, worker, tcp, 9090, false},
			{kedaOperator, worker, tcp, 9090, false},
			{impostor, worker, tcp, 9090, false},
			{nginx, worker, tcp, 9090, false},
			{api, worker, tcp, 9090, false},
		}
		if r.overlay == "dev" {
			flows = append(flows,
				flow{kedaOperator, redis, tcp, 6379, true},
				flow{kedaOperator, mongo, tcp, 27017, false},
				flow{internet, redis, tcp, 6379, false},
				flow{ingressController, mongo, tcp, 27017, false},
				flow{mongo, redis, tcp, 6379, false},
				flow{redis, mongo, tcp, 27017, false},
				flow{api, mongo, tcp, 6379, false},
				flow{impostor, redis, tcp, 6379, false},
				flow{impostor, mongo, tcp, 27017, false},
				flow{prometheus, redis, tcp, 6379, false},
				flow{prometheus, mongo, tcp, 27017, false},
			)
		}
		for _, pod := range all {
			flows = append(flows,
				flow{pod, kubeDNS, corev1.ProtocolUDP, 53, true},
				flow{pod, kubeDNS, tcp, 53, true},
				flow{pod, internet, corev1.ProtocolUDP, 53, false},
			)
		}
		for _, f := range flows {
			if f.from.name == "" || f.to.name == "" {
				t.Fatalf("a workload of the flows is missing from overlays/%s", r.overlay)
			}
			if got := p.allows(f.from, f.to, f.proto, f.port); got != f.allowed {
				f.allowed = got
				t.Errorf("%v", f)
			}
		}
	})
}
