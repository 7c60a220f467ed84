package k8s

import (
	"maps"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"gitlab.com/mlserve/mlserve/internal/tasks"
	"gitlab.com/mlserve/mlserve/model"
)

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) the
// manifests use. k8s.io/api has no type for it, so this one stands in: it is
// decoded strictly too, so a field KEDA does not know (or these manifests
// have not needed yet) fails the test instead of being ignored by the API
// server's pruning.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion             string `json:"apiVersion"`
			Kind                   string `json:"kind"`
			Name                   string `json:"name"`
			EnvSourceContainerName string `json:"envSourceContainerName"`
		} `json:"scaleTargetRef"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Advanced        *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Triggers []struct {
			Type     string            `json:"type"`
			Name     string            `json:"name"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// redisListParams are the metadata KEDA's redis (lists) scaler reads.
var redisListParams = []string{
	"address", "addressFromEnv", "host", "hostFromEnv", "port", "portFromEnv",
	"usernameFromEnv", "passwordFromEnv", "databaseIndex", "enableTLS", "unsafeSsl",
	"listName", "listLength", "activationListLength",
}

// The workers scale on asynq's lists of every job type's queue, read from
// the Redis mlserve uses, the way mlserve reaches it: the same address,
// database, TLS and password.
func TestWorkersScaleOnEveryQueue(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, r rendered) {
		var so scaledObject
		r.one(t, "ScaledObject", workerDeployment, &so)
		ref := so.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != workerDeployment {
			t.Fatalf("scaleTargetRef %s/%s, want Deployment/%s", ref.Kind, ref.Name, workerDeployment)
		}
		var d appsv1.Deployment
		r.one(t, "Deployment", workerDeployment, &d)
		containerNamed(t, d.Spec.Template.Spec, ref.EnvSourceContainerName)
		env := mlserveEnv(t, r, workerDeployment, ref.EnvSourceContainerName)
		cfg := loadConfig(t, env)

		// minReplicaCount 0 would leave no worker to re-enqueue the jobs
		// whose tasks Redis lost, which no list length shows.
		if min, max := so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount; min == nil || *min < 1 || max == nil || *max < *min {
			t.Errorf("replica bounds %v..%v: want 1 <= min <= max", min, max)
		}

		lists := map[string]int{} // listName → listLength
		for _, trig := range so.Spec.Triggers {
			m := trig.Metadata
			if trig.Type != "redis" {
				t.Errorf("trigger %q has type %q, want redis", trig.Name, trig.Type)
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if !slices.Contains(redisListParams, k) {
					t.Errorf("trigger %q: %q is not a parameter of KEDA's redis scaler", trig.Name, k)
				}
			}
			n, err := strconv.Atoi(m["listLength"])
			if err != nil || n < 1 {
				t.Errorf("trigger %q: listLength %q is not a positive integer", trig.Name, m["listLength"])
			}
			lists[m["listName"]] = n
			if v, ok := env[m["addressFromEnv"]]; !ok || v != cfg.Redis.Addr {
				t.Errorf("trigger %q: addressFromEnv %q is not the worker's MLSERVE_REDIS_ADDR", trig.Name, m["addressFromEnv"])
			}
			if m["databaseIndex"] != strconv.Itoa(cfg.Redis.DB) {
				t.Errorf("trigger %q: databaseIndex %q, mlserve uses redis.db %d", trig.Name, m["databaseIndex"], cfg.Redis.DB)
			}
			if tls := m["enableTLS"] == "true"; tls != cfg.Redis.TLS {
				t.Errorf("trigger %q: enableTLS %q, mlserve's redis.tls is %v", trig.Name, m["enableTLS"], cfg.Redis.TLS)
			}
			if cfg.Redis.Password != "" && env[m["passwordFromEnv"]] != cfg.Redis.Password {
				t.Errorf("trigger %q: passwordFromEnv %q is not the worker's MLSERVE_REDIS_PASSWORD", trig.Name, m["passwordFromEnv"])
			}
		}
		for _, jt := range model.JobTypes() {
			q := tasks.QueueName(jt)
			if _, ok := lists["asynq:{"+q+"}:pending"]; !ok {
				t.Errorf("no trigger on queue %s's waiting tasks (asynq:{%s}:pending)", q, q)
			}
			// One worker per worker.concurrency running tasks: KEDA never
			// scales in below the workers busy with jobs.
			if n, ok := lists["asynq:{"+q+"}:active"]; !ok || n != cfg.Worker.Concurrency {
				t.Errorf("trigger on asynq:{%s}:active: listLength %d, want worker.concurrency %d", q, n, cfg.Worker.Concurrency)
			}
		}
	})
}
