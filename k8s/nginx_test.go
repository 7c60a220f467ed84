package k8s

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

var (
	listenDirective = regexp.MustCompile(`(?m)^\s*listen\s+(\d+)\s*;`)
	serverDirective = regexp.MustCompile(`(?m)^\s*server\s+([^\s;]+)[^;]*;`)
)

// nginx runs nginx/nginx.conf exactly as the nginx tests run it, with an
// upstream.conf that names the API's Service, from a read-only ConfigMap, and
// writes only under its prefix, an emptyDir.
func TestNginxRunsTheRepositoryConfig(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "nginx", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	forEachOverlay(t, func(t *testing.T, r rendered) {
		var d appsv1.Deployment
		r.one(t, "Deployment", "nginx", &d)
		spec := d.Spec.Template.Spec
		c := containerNamed(t, spec, "nginx")

		confFile, prefix := flagValue(c.Args, "-c"), flagValue(c.Args, "-p")
		if confFile == "" || prefix == "" {
			t.Fatalf("nginx args %q: want -c <conf> and -p <prefix>", c.Args)
		}
		var conf *corev1.ConfigMap
		for _, m := range c.VolumeMounts {
			v := volumeNamed(spec, m.Name)
			switch {
			case m.MountPath == path.Dir(confFile) && v != nil && v.ConfigMap != nil:
				conf = &corev1.ConfigMap{}
				r.one(t, "ConfigMap", v.ConfigMap.Name, conf)
				if !m.ReadOnly {
					t.Errorf("the configuration mount %s is writable", m.MountPath)
				}
			case m.MountPath == prefix && (v == nil || v.EmptyDir == nil):
				t.Errorf("nginx's prefix %s is not an emptyDir", prefix)
			}
		}
		if emptyDirAt(t, spec, c, prefix) == nil {
			t.Errorf("nginx's prefix %s (pid, temp files) is not mounted writable", prefix)
		}
		if conf == nil {
			t.Fatalf("no ConfigMap mounted at %s", path.Dir(confFile))
		}
		main := conf.Data[path.Base(confFile)]
		if main != string(want) {
			t.Errorf("ConfigMap %s: %s differs from nginx/nginx.conf", conf.Name, path.Base(confFile))
		}

		listen := listenDirective.FindStringSubmatch(main)
		if listen == nil || !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return strconv.Itoa(int(p.ContainerPort)) == listen[1] }) {
			t.Errorf("nginx.conf listens on %v; the container declares %v", listen, c.Ports)
		}

		servers := serverDirective.FindAllStringSubmatch(conf.Data["upstream.conf"], -1)
		if len(servers) == 0 {
			t.Fatalf("ConfigMap %s: upstream.conf has no server", conf.Name)
		}
		for _, s := range servers {
			if problem := upstreamReachesAPI(t, r, s[1]); problem != "" {
				t.Errorf("upstream server %s: %s", s[1], problem)
			}
		}
	})
}

// upstreamReachesAPI checks that hostPort is a Service of the overlay, on
// one of its ports, in front of the api's pods on a port they listen on.
func upstreamReachesAPI(tb testing.TB, r rendered, hostPort string) string {
	tb.Helper()
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return err.Error()
	}
	if len(r.find("Service", host)) == 0 {
		return "names no Service of the overlay"
	}
	var svc corev1.Service
	r.one(tb, "Service", host, &svc)
	var api appsv1.Deployment
	r.one(tb, "Deployment", apiDeployment, &api)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(api.Spec.Template.Labels)) || len(svc.Spec.Selector) == 0 {
		return "its Service does not select the api's pods"
	}
	c := containerNamed(tb, api.Spec.Template.Spec, "api")
	for _, sp := range svc.Spec.Ports {
		if strconv.Itoa(int(sp.Port)) != port {
			continue
		}
		for _, cp := range c.Ports {
			if sp.TargetPort.StrVal == cp.Name || sp.TargetPort.IntVal == cp.ContainerPort {
				return ""
			}
		}
		return "the Service port's targetPort is no port of the api container"
	}
	return "its Service has no port " + port
}

func flagValue(args []string, flag string) string {
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	return args[i+1]
}

func volumeNamed(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}
