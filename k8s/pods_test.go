package k8s

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// nonRootID is the uid and gid every container runs as: distroless's
// nonroot user, above the 10000 below which host users usually live.
const nonRootID = 65532

// mlserveImage is the one image of the api and the worker.
const mlserveImage = "registry.gitlab.com/mlserve/mlserve"

// commitTag is what an overlay may tag mlserveImage with: a commit's short
// sha as the pipeline pushes it, or the placeholder the deploy replaces.
var commitTag = regexp.MustCompile(`^([0-9a-f]{7,40}|COMMIT_SHORT_SHA)$`)

// workload is a pod template and where it comes from.
type workload struct {
	kind, name string
	spec       corev1.PodSpec
}

func (w workload) String() string { return w.kind + "/" + w.name }

func workloads(tb testing.TB, r rendered) []workload {
	tb.Helper()
	var out []workload
	for _, o := range r.find("Deployment", "") {
		var d appsv1.Deployment
		r.one(tb, "Deployment", o.Name, &d)
		out = append(out, workload{"Deployment", d.Name, d.Spec.Template.Spec})
	}
	for _, o := range r.find("StatefulSet", "") {
		var s appsv1.StatefulSet
		r.one(tb, "StatefulSet", o.Name, &s)
		out = append(out, workload{"StatefulSet", s.Name, s.Spec.Template.Spec})
	}
	if len(out) == 0 {
		tb.Fatalf("overlays/%s has no workloads", r.overlay)
	}
	return out
}

func TestNamespaceEnforcesRestrictedPodSecurity(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		var ns corev1.Namespace
		r.one(t, "Namespace", "mlserve", &ns)
		for _, mode := range []string{"enforce", "warn", "audit"} {
			if got := ns.Labels["pod-security.kubernetes.io/"+mode]; got != "restricted" {
				t.Errorf("pod-security.kubernetes.io/%s = %q, want restricted", mode, got)
			}
		}
	})
}

// Every pod meets the restricted Pod Security Standard and more: a fixed
// non-root uid, a read-only root filesystem, no service account token.
func TestPodsAreLockedDown(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, w := range workloads(t, r) {
			s := w.spec
			if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
				t.Errorf("%s: automountServiceAccountToken is not false", w)
			}
			var sa corev1.ServiceAccount
			r.one(t, "ServiceAccount", s.ServiceAccountName, &sa)
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Errorf("%s: its ServiceAccount %s mounts tokens", w, sa.Name)
			}
			psc := s.SecurityContext
			if psc == nil || !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, nonRootID) || !is(psc.RunAsGroup, nonRootID) {
				t.Errorf("%s: pod securityContext must set runAsNonRoot, runAsUser and runAsGroup %d", w, nonRootID)
			}
			if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: pod seccompProfile is not RuntimeDefault", w)
			}
			if s.HostNetwork || s.HostPID || s.HostIPC {
				t.Errorf("%s: shares a host namespace", w)
			}
			for _, c := range append(slices.Clone(s.InitContainers), s.Containers...) {
				for _, problem := range containerSecurityProblems(c) {
					t.Errorf("%s: container %s: %s", w, c.Name, problem)
				}
			}
		}
	})
}

func containerSecurityProblems(c corev1.Container) []string {
	sc := c.SecurityContext
	if sc == nil {
		return []string{"no securityContext"}
	}
	var problems []string
	if !isFalse(sc.AllowPrivilegeEscalation) {
		problems = append(problems, "allowPrivilegeEscalation is not false")
	}
	if isTrue(sc.Privileged) {
		problems = append(problems, "privileged")
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		problems = append(problems, "readOnlyRootFilesystem is not true")
	}
	if isFalse(sc.RunAsNonRoot) || (sc.RunAsUser != nil && *sc.RunAsUser != nonRootID) {
		problems = append(problems, "overrides the pod's non-root user")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		problems = append(problems, "capabilities must drop ALL and add none")
	}
	if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		problems = append(problems, "seccompProfile overridden")
	}
	return problems
}

// Requests and limits of CPU, memory and ephemeral storage everywhere, and
// every writable path an emptyDir or a volume: with a read-only root, a
// write anywhere else fails.
func TestContainersHaveResources(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, w := range workloads(t, r) {
			for _, c := range w.spec.Containers {
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
					req, okReq := c.Resources.Requests[res]
					lim, okLim := c.Resources.Limits[res]
					switch {
					case !okReq || !okLim:
						t.Errorf("%s: container %s: %s needs a request and a limit", w, c.Name, res)
					case req.Cmp(lim) > 0:
						t.Errorf("%s: container %s: %s request %s above its limit %s", w, c.Name, res, req.String(), lim.String())
					}
				}
				for _, m := range c.VolumeMounts {
					if !hasVolume(w.spec, m.Name) && !isClaimTemplate(t, r, w, m.Name) {
						t.Errorf("%s: container %s mounts %s, which is no volume", w, c.Name, m.Name)
					}
				}
			}
			for _, v := range w.spec.Volumes {
				if v.EmptyDir != nil && v.EmptyDir.SizeLimit == nil {
					t.Errorf("%s: emptyDir %s has no sizeLimit", w, v.Name)
				}
			}
		}
	})
}

// Images are pinned: an explicit tag that is not latest, and mlserve's own
// by the commit it was built from.
func TestImagesArePinned(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, w := range workloads(t, r) {
			for _, c := range append(slices.Clone(w.spec.InitContainers), w.spec.Containers...) {
				name, tag, digest := splitImage(c.Image)
				switch {
				case digest != "":
				case tag == "" || tag == "latest":
					t.Errorf("%s: container %s: image %q has no pinned tag", w, c.Name, c.Image)
				case name == mlserveImage && !commitTag.MatchString(tag):
					t.Errorf("%s: container %s: image %q is not tagged with a commit", w, c.Name, c.Image)
				}
			}
		}
	})
}

// The api and the worker run the one image with different roles.
func TestAPIAndWorkerShareTheImage(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		var api, worker appsv1.Deployment
		r.one(t, "Deployment", apiDeployment, &api)
		r.one(t, "Deployment", workerDeployment, &worker)
		a := containerNamed(t, api.Spec.Template.Spec, "api")
		w := containerNamed(t, worker.Spec.Template.Spec, "worker")
		if name, _, _ := splitImage(a.Image); name != mlserveImage || a.Image != w.Image {
			t.Errorf("api image %q, worker image %q: want the same %s image", a.Image, w.Image, mlserveImage)
		}
		if !slices.Equal(a.Args, []string{"api"}) || !slices.Equal(w.Args, []string{"worker"}) || a.Command != nil || w.Command != nil {
			t.Errorf("api runs %q %q, worker %q %q: want the image's entrypoint with args [api] and [worker]", a.Command, a.Args, w.Command, w.Args)
		}
	})
}

// A container that listens has a readiness and a liveness probe, different
// from each other (a liveness that fails with a dependency restarts every
// replica at once), on a port it declares. The api's and the worker's are
// their own endpoints, behind a startup probe: the api's readiness is its
// serving readiness (MongoDB only: a Redis outage must not empty its
// Service), the worker's the full /readyz of its ops listener.
func TestServersHaveProbes(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, w := range workloads(t, r) {
			for _, c := range w.spec.Containers {
				if len(c.Ports) == 0 {
					continue
				}
				if c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("%s: container %s listens but lacks a readiness or liveness probe", w, c.Name)
					continue
				}
				if reflect.DeepEqual(c.ReadinessProbe.ProbeHandler, c.LivenessProbe.ProbeHandler) {
					t.Errorf("%s: container %s: readiness and liveness probe the same thing", w, c.Name)
				}
				for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
					if p != nil && !probesDeclaredPort(c, p) {
						t.Errorf("%s: container %s probes a port it does not declare", w, c.Name)
					}
				}
				for _, p := range c.Ports {
					if p.Name != "" {
						for _, problem := range validation.IsValidPortName(p.Name) {
							t.Errorf("%s: port %s: %s", w, p.Name, problem)
						}
					}
				}
			}
		}
		for _, want := range []struct {
			deployment, container, port, readiness string
		}{
			{apiDeployment, "api", "http", "/v2/health/ready"},
			{workerDeployment, "worker", "metrics", "/readyz"},
		} {
			var d appsv1.Deployment
			r.one(t, "Deployment", want.deployment, &d)
			c := containerNamed(t, d.Spec.Template.Spec, want.container)
			for _, p := range []struct {
				kind  string
				probe *corev1.Probe
				path  string
			}{{"startup", c.StartupProbe, "/healthz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, want.readiness}} {
				if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString(want.port) {
					t.Errorf("%s: %s probe is not GET %s on port %s", want.container, p.kind, p.path, want.port)
				}
			}
		}
	})
}

// Deployments that an autoscaler sizes leave replicas unset: `kubectl
// apply` would otherwise reset the autoscaler's count on every deploy.
func TestAutoscaledDeploymentsLeaveReplicasAlone(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, name := range []string{apiDeployment, workerDeployment} {
			var d appsv1.Deployment
			r.one(t, "Deployment", name, &d)
			if d.Spec.Replicas != nil {
				t.Errorf("%s sets replicas: %d", name, *d.Spec.Replicas)
			}
		}
	})
}

func probesDeclaredPort(c corev1.Container, p *corev1.Probe) bool {
	var port intstr.IntOrString
	switch {
	case p.HTTPGet != nil:
		port = p.HTTPGet.Port
	case p.TCPSocket != nil:
		port = p.TCPSocket.Port
	default:
		return true // exec and grpc name no container port
	}
	return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		if port.Type == intstr.String {
			return cp.Name == port.StrVal
		}
		return cp.ContainerPort == port.IntVal
	})
}

// splitImage splits "name:tag@digest"; a colon before the last slash is a
// registry port.
func splitImage(image string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

func hasVolume(spec corev1.PodSpec, name string) bool {
	return slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })
}

func isClaimTemplate(tb testing.TB, r rendered, w workload, name string) bool {
	tb.Helper()
	if w.kind != "StatefulSet" {
		return false
	}
	var s appsv1.StatefulSet
	r.one(tb, "StatefulSet", w.name, &s)
	return slices.ContainsFunc(s.Spec.VolumeClaimTemplates, func(c corev1.PersistentVolumeClaim) bool { return c.Name == name })
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func is(v *int64, want int64) bool { return v != nil && *v == want }
