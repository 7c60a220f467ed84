package k8s

import (
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// The names the manifests and this test agree on.
const (
	apiDeployment    = "mlserve-api"
	workerDeployment = "mlserve-worker"
	secretName       = "mlserve-secrets"
	// handBack bounds how long a worker takes, after worker.shutdown_timeout,
	// to return unfinished jobs to the queue (README "Architecture").
	handBack = 10 * time.Second
	// containerTmp is os.TempDir() in mlserve's image, which sets no TMPDIR.
	containerTmp = "/tmp"
)

// mlserveEnv is the environment a container of the named Deployment starts
// with, from its envFrom ConfigMaps and Secrets and its env. A Secret the
// overlay does not contain (prod: created out of band) is read from
// overlays/prod/secret.example.yaml, whose values stand for the real ones.
func mlserveEnv(tb testing.TB, r rendered, deployment, container string) map[string]string {
	tb.Helper()
	var d appsv1.Deployment
	r.one(tb, "Deployment", deployment, &d)
	c := containerNamed(tb, d.Spec.Template.Spec, container)
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			var cm corev1.ConfigMap
			r.one(tb, "ConfigMap", from.ConfigMapRef.Name, &cm)
			maps.Copy(env, cm.Data)
		case from.SecretRef != nil:
			maps.Copy(env, secretData(tb, r, from.SecretRef.Name))
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			tb.Fatalf("%s/%s: env %s comes from valueFrom; use envFrom", deployment, container, e.Name)
		}
		env[e.Name] = e.Value
	}
	return env
}

// secretData is the Secret's data as strings, from the overlay or, for the
// Secret production creates itself, from the example.
func secretData(tb testing.TB, r rendered, name string) map[string]string {
	tb.Helper()
	var s corev1.Secret
	if len(r.find("Secret", name)) == 0 {
		if name != secretName {
			tb.Fatalf("overlays/%s: Secret %s is neither rendered nor %s", r.overlay, name, secretName)
		}
		doc, err := os.ReadFile(filepath.Join("overlays", "prod", "secret.example.yaml"))
		if err != nil {
			tb.Fatal(err)
		}
		if err := strictDecode(decodeObject(tb, doc), &s); err != nil {
			tb.Fatal(err)
		}
	} else {
		r.one(tb, "Secret", name, &s)
	}
	data := maps.Clone(s.StringData)
	if data == nil {
		data = map[string]string{}
	}
	for k, v := range s.Data {
		data[k] = string(v)
	}
	return data
}

func containerNamed(tb testing.TB, spec corev1.PodSpec, name string) corev1.Container {
	tb.Helper()
	for _, c := range spec.Containers {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("no container %q", name)
	return corev1.Container{}
}

// loadConfig is what `mlserve api|worker` makes of env: the real loader,
// with its validation.
func loadConfig(tb testing.TB, env map[string]string) *config.Config {
	tb.Helper()
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		tb.Fatalf("mlserve would not start with this environment: %v", err)
	}
	return cfg
}

// Every MLSERVE_* variable the manifests set is a key mlserve knows (a typo
// would be silently ignored), and the api and the worker start with it.
func TestConfigurationLoads(t *testing.T) {
	known := map[string]bool{config.ConfigEnv: true}
	for _, k := range config.Keys() {
		known[k.Env] = true
	}
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, w := range []struct{ deployment, container string }{
			{apiDeployment, "api"}, {workerDeployment, "worker"},
		} {
			env := mlserveEnv(t, r, w.deployment, w.container)
			for _, name := range slices.Sorted(maps.Keys(env)) {
				if strings.HasPrefix(name, config.EnvPrefix) && !known[name] {
					t.Errorf("%s: %s is not one of mlserve's settings", w.deployment, name)
				}
			}
			loadConfig(t, env)
		}
	})
}

// Secret settings (those mlserve masks in its logs) live in the Secret, and
// never in a ConfigMap, where anyone who may read the namespace's
// configuration would see them.
func TestSecretSettingsStayInTheSecret(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		for _, o := range r.find("ConfigMap", "") {
			var cm corev1.ConfigMap
			if err := strictDecode(o, &cm); err != nil {
				t.Fatal(err)
			}
			for _, k := range config.Keys() {
				if _, ok := cm.Data[k.Env]; ok && k.Secret {
					t.Errorf("ConfigMap %s holds the secret setting %s", cm.Name, k.Env)
				}
			}
		}
	})
	example := secretData(t, rendered{overlay: "prod"}, secretName)
	for _, k := range config.Keys() {
		_, ok := example[k.Env]
		if k.Secret && !ok {
			t.Errorf("secret.example.yaml lacks the secret setting %s", k.Env)
		}
		if ok && !k.Secret {
			t.Errorf("secret.example.yaml holds %s, which is not secret: it belongs in the ConfigMap", k.Env)
		}
	}
}

// Kubernetes kills a pod terminationGracePeriodSeconds after SIGTERM. The
// worker needs worker.shutdown_timeout for its running jobs plus the time to
// hand the rest back; the api its preStop sleep plus http.shutdown_timeout.
func TestGracePeriodsOutlastShutdown(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		worker := loadConfig(t, mlserveEnv(t, r, workerDeployment, "worker"))
		if got, need := gracePeriod(t, r, workerDeployment), worker.Worker.ShutdownTimeout+handBack; got <= need {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want more than worker.shutdown_timeout + hand-back = %v", workerDeployment, got, need)
		}
		api := loadConfig(t, mlserveEnv(t, r, apiDeployment, "api"))
		var d appsv1.Deployment
		r.one(t, "Deployment", apiDeployment, &d)
		need := api.HTTP.ShutdownTimeout + preStopSleep(containerNamed(t, d.Spec.Template.Spec, "api"))
		if got := gracePeriod(t, r, apiDeployment); got <= need {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want more than preStop + http.shutdown_timeout = %v", apiDeployment, got, need)
		}
	})
}

// A worker pod holds worker.concurrency trainings of up to jobs.train_memory
// each (the watchdog kills a training child past it) plus the worker itself;
// and /tmp holds the dataset cache. Below that, the kernel's OOM killer or
// the kubelet's eviction ends jobs that mlserve itself would have allowed.
func TestWorkerFitsItsJobs(t *testing.T) {
	const workerOwn = 512 << 20 // the worker process, score parts, golearn's temp files
	forEachOverlay(t, func(t *testing.T, r rendered) {
		cfg := loadConfig(t, mlserveEnv(t, r, workerDeployment, "worker"))
		var d appsv1.Deployment
		r.one(t, "Deployment", workerDeployment, &d)
		spec := d.Spec.Template.Spec
		c := containerNamed(t, spec, "worker")
		need := int64(cfg.Worker.Concurrency)*cfg.Jobs.TrainMemory + workerOwn
		if limit := c.Resources.Limits.Memory().Value(); limit < need {
			t.Errorf("worker memory limit %d bytes; worker.concurrency × jobs.train_memory + %d = %d", limit, workerOwn, need)
		}
		tmp := emptyDirAt(t, spec, c, containerTmp)
		if tmp == nil || tmp.SizeLimit == nil {
			t.Fatalf("worker: no emptyDir with a sizeLimit at %s", containerTmp)
		}
		if tmp.SizeLimit.Value() < cfg.Worker.DatasetCache {
			t.Errorf("worker: /tmp holds %d bytes, less than worker.dataset_cache %d", tmp.SizeLimit.Value(), cfg.Worker.DatasetCache)
		}
		if eph := c.Resources.Limits.StorageEphemeral().Value(); eph < tmp.SizeLimit.Value() {
			t.Errorf("worker: ephemeral-storage limit %d is below its /tmp emptyDir's %d", eph, tmp.SizeLimit.Value())
		}
	})
}

func gracePeriod(tb testing.TB, r rendered, deployment string) time.Duration {
	tb.Helper()
	var d appsv1.Deployment
	r.one(tb, "Deployment", deployment, &d)
	if d.Spec.Template.Spec.TerminationGracePeriodSeconds == nil {
		return 30 * time.Second // Kubernetes' default
	}
	return time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
}

func preStopSleep(c corev1.Container) time.Duration {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		return 0
	}
	return time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
}

// emptyDirAt is the emptyDir c mounts at path, or nil.
func emptyDirAt(tb testing.TB, spec corev1.PodSpec, c corev1.Container, path string) *corev1.EmptyDirVolumeSource {
	tb.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != path {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name {
				return v.EmptyDir
			}
		}
	}
	return nil
}

// The worker's container port "metrics", which its probes and Prometheus
// use, is where the worker's configuration puts its operations listener.
func TestWorkerOpsListenerIsItsMetricsPort(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		cfg := loadConfig(t, mlserveEnv(t, r, workerDeployment, "worker"))
		var d appsv1.Deployment
		r.one(t, "Deployment", workerDeployment, &d)
		c := containerNamed(t, d.Spec.Template.Spec, "worker")
		_, port, err := net.SplitHostPort(cfg.Ops.Addr)
		if err != nil {
			t.Fatalf("worker: ops.addr %q: %v", cfg.Ops.Addr, err)
		}
		i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metrics" })
		if i < 0 || strconv.Itoa(int(c.Ports[i].ContainerPort)) != port {
			t.Errorf("worker: ports %v, want one named metrics on ops.addr's port %s", c.Ports, port)
		}
	})
}
