package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// No Docker engine runs here, so the compose files are checked with the
// specification's own loader (schema, interpolation, references) and then for
// what an engine would only find out at start: settings phonghop does not know,
// health checks that probe nothing, ports and volumes that do not meet.

var composeFiles = []string{"docker-compose.yml", "docker-compose.cluster.yml"}

// composeSecrets are what the files require from .env (`${VAR:?...}`).
var composeSecrets = []string{"MINIO_ROOT_USER=minio-user", "MINIO_ROOT_PASSWORD=minio-secret", "PHONGHOP_ADMIN_PASSWORD=admin-secret"}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func loadCompose(t *testing.T, file string, env []string) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, file)},
		cli.WithWorkingDirectory(root), cli.WithName("phonghop"), cli.WithEnv(env), cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// dockerImage reads what the Dockerfile's final stage runs and exposes.
func dockerImage(t *testing.T) (entrypoint string, expose int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"\]`).FindSubmatch(b); m != nil {
		entrypoint = string(m[1])
	}
	if m := regexp.MustCompile(`(?m)^EXPOSE (\d+)`).FindSubmatch(b); m != nil {
		expose, _ = strconv.Atoi(string(m[1]))
	}
	if entrypoint == "" || expose == 0 {
		t.Fatalf("Dockerfile: no ENTRYPOINT or EXPOSE found")
	}
	return entrypoint, expose
}

func settingDefault(env string) string {
	for _, s := range settings {
		if s.env == env {
			return s.def
		}
	}
	return ""
}

// envOf is a service's value of a setting, or the setting's default.
func envOf(svc types.ServiceConfig, name string) string {
	if v, ok := svc.Environment[name]; ok && v != nil {
		return *v
	}
	return settingDefault(name)
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return n
}

func TestComposeFilesLoad(t *testing.T) {
	entrypoint, expose := dockerImage(t)
	known := map[string]bool{}
	for _, s := range settings {
		known[s.env] = true
	}
	root := repoRoot(t)
	for _, file := range composeFiles {
		t.Run(file, func(t *testing.T) {
			if _, err := loadCompose(t, file, nil); err == nil || !strings.Contains(err.Error(), "MINIO_ROOT_USER") {
				t.Errorf("loaded without its secrets (want a required-variable error): %v", err)
			}
			p, err := loadCompose(t, file, composeSecrets)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			var phonghop, nats []string
			for name, svc := range p.Services {
				if svc.Build != nil && filepath.Clean(svc.Build.Context) == root {
					phonghop = append(phonghop, name)
				}
				if strings.HasPrefix(svc.Image, "nats:") {
					nats = append(nats, name)
				}
			}
			slices.Sort(phonghop)
			if len(phonghop) == 0 {
				t.Fatal("no service builds phonghop from this repository")
			}
			usedVolumes := map[string]bool{}
			for name, svc := range p.Services {
				for _, v := range svc.Volumes {
					switch v.Type {
					case types.VolumeTypeVolume:
						if _, ok := p.Volumes[v.Source]; !ok {
							t.Errorf("%s mounts volume %q, which is not declared", name, v.Source)
						}
						usedVolumes[v.Source] = true
					case types.VolumeTypeBind:
						if _, err := os.Stat(v.Source); err != nil {
							t.Errorf("%s binds %s, which is not in the repository: %v", name, v.Source, err)
						}
					}
				}
				for dep, d := range svc.DependsOn {
					other, ok := p.Services[dep]
					if !ok {
						t.Errorf("%s depends on unknown %s", name, dep)
					} else if d.Condition == types.ServiceConditionHealthy && other.HealthCheck == nil {
						t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
					}
				}
			}
			for v := range p.Volumes {
				if !usedVolumes[v] {
					t.Errorf("volume %q is declared but no service mounts it", v)
				}
			}
			for _, name := range phonghop {
				svc := p.Services[name]
				for k := range svc.Environment {
					if !known[k] {
						t.Errorf("%s sets %s, which `phonghop help` does not list", name, k)
					}
				}
				if got := []string(svc.Command); len(got) == 0 || got[0] != "serve" {
					t.Errorf("%s runs %v, not serve", name, got)
				}
				port := portOf(t, envOf(svc, "PHONGHOP_ADDR"))
				if port != expose {
					t.Errorf("%s listens on %d, the image exposes %d", name, port, expose)
				}
				for _, pc := range svc.Ports {
					if int(pc.Target) != port {
						t.Errorf("%s publishes container port %d, it listens on %d", name, pc.Target, port)
					}
				}
				hc := svc.HealthCheck
				if hc == nil || hc.Disable || len(hc.Test) < 4 || hc.Test[0] != "CMD" || hc.Test[1] != entrypoint || hc.Test[2] != "ready" {
					t.Errorf("%s health check %+v is not [CMD %s ready URL]", name, hc, entrypoint)
				} else if u, err := url.Parse(hc.Test[3]); err != nil || u.Path != "/readyz" || u.Port() != strconv.Itoa(port) {
					t.Errorf("%s health check probes %q, not /readyz on port %d", name, hc.Test[3], port)
				}
				if ep := envOf(svc, "PHONGHOP_S3_ENDPOINT"); ep != "" {
					host, sport, _ := net.SplitHostPort(ep)
					s3, ok := p.Services[host]
					if !ok || !strings.HasPrefix(s3.Image, "minio/minio:") || sport != "9000" {
						t.Errorf("%s: PHONGHOP_S3_ENDPOINT %s is not a MinIO service's port 9000", name, ep)
					}
					if u := s3.Environment["MINIO_ROOT_USER"]; u == nil || envOf(svc, "PHONGHOP_S3_ACCESS_KEY") != *u {
						t.Errorf("%s: the S3 access key is not MinIO's root user", name)
					}
					if d, ok := svc.DependsOn[host]; !ok || d.Condition != types.ServiceConditionHealthy {
						t.Errorf("%s does not wait for %s to be healthy", name, host)
					}
				}
				replicas, _ := strconv.Atoi(envOf(svc, "PHONGHOP_NATS_REPLICAS"))
				if nu := envOf(svc, "PHONGHOP_NATS_URL"); nu != "" {
					u, err := url.Parse(nu)
					if err != nil || !slices.Contains(nats, u.Hostname()) || u.Port() != "4222" {
						t.Errorf("%s: PHONGHOP_NATS_URL %s is not a NATS service's port 4222", name, nu)
					}
					// One stream replica per NATS server: more cannot be placed,
					// fewer would lose meetings with a server.
					if replicas != len(nats) {
						t.Errorf("%s: PHONGHOP_NATS_REPLICAS %d with %d NATS servers", name, replicas, len(nats))
					}
				} else if len(phonghop) > 1 {
					t.Errorf("%d phonghop replicas without NATS would not share live rooms", len(phonghop))
				}
			}
			if len(phonghop) > 1 {
				checkBalancer(t, p, phonghop)
			}
		})
	}
}

// checkBalancer: the proxy in front of several replicas names each of them, on
// the port they listen on, and listens where its published port points.
func checkBalancer(t *testing.T, p *types.Project, phonghop []string) {
	var conf string
	var proxy types.ServiceConfig
	for _, svc := range p.Services {
		for _, v := range svc.Volumes {
			if v.Type == types.VolumeTypeBind && strings.HasSuffix(v.Target, "nginx.conf") {
				b, err := os.ReadFile(v.Source)
				if err != nil {
					t.Fatal(err)
				}
				conf, proxy = string(b), svc
			}
		}
	}
	if conf == "" {
		t.Fatal("several replicas and no nginx.conf mounted in front of them")
	}
	var upstream []string
	for _, m := range regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9_-]+):(\d+)`).FindAllStringSubmatch(conf, -1) {
		svc, ok := p.Services[m[1]]
		if !ok {
			t.Errorf("nginx.conf balances to %s, which is no service", m[1])
			continue
		}
		if port := strconv.Itoa(portOf(t, envOf(svc, "PHONGHOP_ADDR"))); port != m[2] {
			t.Errorf("nginx.conf reaches %s on %s, it listens on %s", m[1], m[2], port)
		}
		upstream = append(upstream, m[1])
	}
	slices.Sort(upstream)
	if !slices.Equal(upstream, phonghop) {
		t.Errorf("nginx.conf balances over %v, the replicas are %v", upstream, phonghop)
	}
	m := regexp.MustCompile(`(?m)^\s*listen\s+(\d+);`).FindStringSubmatch(conf)
	if m == nil {
		t.Fatal("nginx.conf: no listen port")
	}
	if len(proxy.Ports) == 0 {
		t.Error("the proxy publishes no port")
	}
	for _, pc := range proxy.Ports {
		if strconv.Itoa(int(pc.Target)) != m[1] {
			t.Errorf("the proxy publishes %d, nginx listens on %s", pc.Target, m[1])
		}
	}
}
