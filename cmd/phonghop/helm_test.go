package main

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/phonghop/phonghop/internal/testtool"
)

// The Helm chart is linted and rendered by helm itself (scripts/tools.sh helm
// builds it), and what it renders is checked against the server: settings
// `phonghop help` knows, probes on the port it listens on, a Service and a
// PodDisruptionBudget that select its pods.

type envVar struct {
	Name      string
	Value     *string
	ValueFrom any `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

type k8sObject struct {
	Kind     string
	Metadata struct {
		Name   string
		Labels map[string]string
	}
	Spec struct {
		Replicas     int
		Selector     yaml.Node
		MinAvailable int `yaml:"minAvailable"`
		Ports        []struct {
			Port       int
			TargetPort string `yaml:"targetPort"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Args  []string
					Ports []struct {
						Name          string
						ContainerPort int `yaml:"containerPort"`
					}
					Env            []envVar
					ReadinessProbe *probe `yaml:"readinessProbe"`
					LivenessProbe  *probe `yaml:"livenessProbe"`
					Resources      struct{ Requests map[string]string }
				}
			}
		}
	}
}

// kubeVersion is the cluster version rendered for: a helm built with go
// install claims v1.20 (its release builds set the real one by ldflags), below
// the chart's kubeVersion.
const kubeVersion = "1.31.0"

func helmChart(t *testing.T) (helm, chart string) {
	t.Helper()
	helm, err := testtool.Find("helm", "helm")
	if err != nil {
		t.Fatal(err)
	}
	return helm, filepath.Join(repoRoot(t), "deploy", "helm", "phonghop")
}

func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	helm, _ := helmChart(t)
	var out, errb bytes.Buffer
	cmd := exec.Command(helm, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(cmd.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	err := cmd.Run()
	if err != nil {
		err = errors.New(err.Error() + ": " + errb.String() + out.String())
	}
	return out.String(), err
}

func renderChart(t *testing.T, set ...string) ([]k8sObject, error) {
	t.Helper()
	_, chart := helmChart(t)
	args := []string{"template", "hop", chart, "--kube-version", kubeVersion, "-f", filepath.Join(chart, "ci", "test-values.yaml")}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := runHelm(t, args...)
	if err != nil {
		return nil, err
	}
	var objs []k8sObject
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("rendered chart: %v\n%s", err, out)
		}
		if o.Kind != "" {
			objs = append(objs, o)
		}
	}
	return objs, nil
}

func matchLabels(t *testing.T, sel yaml.Node) map[string]string {
	var s struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	if err := sel.Decode(&s); err != nil || s.MatchLabels == nil {
		// A Service's selector is the labels themselves.
		var m map[string]string
		if err := sel.Decode(&m); err != nil {
			t.Fatalf("selector: %v", err)
		}
		return m
	}
	return s.MatchLabels
}

func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestHelmChart(t *testing.T) {
	_, chart := helmChart(t)
	if out, err := runHelm(t, "lint", "--strict", chart, "--kube-version", kubeVersion, "-f", filepath.Join(chart, "ci", "test-values.yaml")); err != nil {
		t.Fatalf("helm lint: %v", err)
	} else if !strings.Contains(out, "0 chart(s) failed") {
		t.Fatalf("helm lint: %s", out)
	}
	objs, err := renderChart(t)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]k8sObject{}
	for _, o := range objs {
		if _, dup := byKind[o.Kind]; dup {
			t.Fatalf("two %s objects", o.Kind)
		}
		byKind[o.Kind] = o
	}
	dep, svc, pdb := byKind["Deployment"], byKind["Service"], byKind["PodDisruptionBudget"]
	if dep.Kind == "" || svc.Kind == "" || pdb.Kind == "" {
		t.Fatalf("rendered %v; want a Deployment, a Service and a PodDisruptionBudget", objs)
	}
	if dep.Spec.Replicas != 3 {
		t.Errorf("replicas %d, want the default 3", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Metadata.Labels
	if !selects(matchLabels(t, dep.Spec.Selector), pod) || !selects(matchLabels(t, svc.Spec.Selector), pod) || !selects(matchLabels(t, pdb.Spec.Selector), pod) {
		t.Errorf("selectors do not all select the pods %v", pod)
	}
	if pdb.Spec.MinAvailable < 1 || pdb.Spec.MinAvailable >= dep.Spec.Replicas {
		t.Errorf("PodDisruptionBudget minAvailable %d of %d replicas", pdb.Spec.MinAvailable, dep.Spec.Replicas)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("containers: %+v", dep.Spec.Template.Spec.Containers)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("the chart sets %s, which `phonghop help` does not list", e.Name)
		}
		if e.Value != nil {
			env[e.Name] = *e.Value
		} else if e.ValueFrom == nil {
			t.Errorf("%s has no value", e.Name)
		}
	}
	for _, want := range []string{"PHONGHOP_S3_ENDPOINT", "PHONGHOP_S3_ACCESS_KEY", "PHONGHOP_S3_SECRET_KEY", "PHONGHOP_NATS_URL", "PHONGHOP_ADMIN_PASSWORD"} {
		if _, ok := env[want]; !ok && !hasEnv(c.Env, want) {
			t.Errorf("the chart does not set %s", want)
		}
	}
	if env["PHONGHOP_NATS_REPLICAS"] != "3" || env["PHONGHOP_DOCUMENT_LIMIT"] != "104857600" {
		t.Errorf("values not carried into the environment: %v", env)
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("the container runs %v", c.Args)
	}
	port := portOf(t, env["PHONGHOP_ADDR"])
	var portName string
	for _, p := range c.Ports {
		if p.ContainerPort == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Fatalf("no container port %d (PHONGHOP_ADDR) declared: %+v", port, c.Ports)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.ReadinessProbe.HTTPGet.Port != portName {
		t.Errorf("readiness probe %+v, want /readyz on %s", c.ReadinessProbe, portName)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Port != portName {
		t.Errorf("liveness probe %+v, want /healthz on %s (an S3 outage must not restart every replica)", c.LivenessProbe, portName)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != portName {
		t.Errorf("the Service targets %+v, the pod's port is %s", svc.Spec.Ports, portName)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" {
		t.Errorf("no resource requests: %+v", c.Resources)
	}
	shutdown, _ := time.ParseDuration(settingDefault("PHONGHOP_SHUTDOWN_TIMEOUT"))
	if g := time.Duration(dep.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second; g <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %v is not longer than the shutdown timeout %v", g, shutdown)
	}

	// Releases that could not work are refused at render time.
	for _, bad := range [][]string{
		{"s3.endpoint="},
		{"s3.existingSecret="},
		{"nats.url="},
		{"env.MINIO_ROOT_USER=x"},
		{"podDisruptionBudget.minAvailable=3"},
	} {
		if _, err := renderChart(t, bad...); err == nil {
			t.Errorf("rendered with %v", bad)
		}
	}
	// One replica on one machine: no NATS needed, and no budget that would
	// block every drain.
	objs, err = renderChart(t, "replicaCount=1", "nats.url=")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Kind == "PodDisruptionBudget" {
			t.Error("a PodDisruptionBudget for a single replica")
		}
		if o.Kind == "Deployment" && hasEnv(o.Spec.Template.Spec.Containers[0].Env, "PHONGHOP_NATS_URL") {
			t.Error("NATS set without a URL")
		}
	}
}

func hasEnv(env []envVar, name string) bool {
	for _, e := range env {
		if e.Name == name {
			return true
		}
	}
	return false
}
