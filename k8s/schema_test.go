package k8s

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// builtins are the Kubernetes kinds the manifests may use, each with the Go
// type of the API server's schema. A kind missing here fails the test: a
// new kind is added here, on purpose, with its type.
var builtins = map[string]func() metav1.Object{
	"v1/Namespace":                           func() metav1.Object { return &corev1.Namespace{} },
	"v1/ServiceAccount":                      func() metav1.Object { return &corev1.ServiceAccount{} },
	"v1/ConfigMap":                           func() metav1.Object { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() metav1.Object { return &corev1.Secret{} },
	"v1/Service":                             func() metav1.Object { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() metav1.Object { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() metav1.Object { return &appsv1.StatefulSet{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() metav1.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() metav1.Object { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() metav1.Object { return &networkingv1.NetworkPolicy{} },
}

// customKinds are the CRD kinds, which k8s.io/api has no type for; each is
// decoded into a type of this package (keda_test.go, monitoring_test.go)
// and checked by hand.
var customKinds = map[string]func() metav1.Object{
	"keda.sh/v1alpha1/ScaledObject":           func() metav1.Object { return &scaledObject{} },
	"monitoring.coreos.com/v1/PodMonitor":     func() metav1.Object { return &podMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() metav1.Object { return &prometheusRule{} },
}

func TestManifestsAreValidKubernetesObjects(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		if len(r.objects) == 0 {
			t.Fatal("the overlay renders nothing")
		}
		for _, o := range r.objects {
			newObj, ok := builtins[o.gvk()]
			if !ok {
				newObj, ok = customKinds[o.gvk()]
			}
			if !ok {
				t.Errorf("%s: kind %s is neither a known built-in nor a checked custom kind", o, o.gvk())
				continue
			}
			obj := newObj()
			if err := strictDecode(o, obj); err != nil {
				t.Errorf("%s: %v", o, err)
				continue
			}
			for _, problem := range metadataProblems(o, obj) {
				t.Errorf("%s: %s", o, problem)
			}
		}
	})
}

// The example Secret is not part of any overlay, so nothing else would
// notice it rotting: it must stay a valid Secret named as the Deployments
// expect.
func TestSecretExampleIsAValidSecret(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("overlays", "prod", "secret.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o := decodeObject(t, doc)
	var s corev1.Secret
	if err := strictDecode(o, &s); err != nil {
		t.Fatalf("secret.example.yaml: %v", err)
	}
	if o.gvk() != "v1/Secret" || s.Name != secretName || s.Namespace != "mlserve" {
		t.Errorf("secret.example.yaml is %s %s/%s, want v1/Secret mlserve/%s", o.gvk(), s.Namespace, s.Name, secretName)
	}
	if len(s.StringData) == 0 {
		t.Error("secret.example.yaml has no stringData")
	}
	// Production's Secret is made out of band: the overlay must not apply
	// one over it, least of all the example.
	if secrets := render(t, "prod").find("Secret", ""); len(secrets) > 0 {
		t.Errorf("overlays/prod renders %v: production's Secret is created out of band", secrets)
	}
}

// metadataProblems checks what the API server would refuse in metadata: a
// missing namespace or an invalid name or label.
func metadataProblems(o object, obj metav1.Object) []string {
	var problems []string
	if o.Kind == "Namespace" {
		problems = append(problems, validation.IsDNS1123Label(obj.GetName())...)
	} else {
		if obj.GetNamespace() != "mlserve" {
			problems = append(problems, "namespace "+obj.GetNamespace()+", want mlserve")
		}
		problems = append(problems, validation.IsDNS1123Subdomain(obj.GetName())...)
	}
	if o.Kind == "Service" {
		problems = append(problems, validation.IsDNS1035Label(obj.GetName())...)
	}
	for k, v := range obj.GetLabels() {
		problems = append(problems, validation.IsQualifiedName(k)...)
		problems = append(problems, validation.IsValidLabelValue(v)...)
	}
	return problems
}
