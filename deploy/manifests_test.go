package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// rendered is one overlay's output, decoded into the Kubernetes API types.
type rendered struct {
	namespaces  []*corev1.Namespace
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	accounts    map[string]*corev1.ServiceAccount
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	netpols     map[string]*networkingv1.NetworkPolicy
	rules       map[string]*monitoringv1.PrometheusRule
}

// decodeStrict decodes one YAML document into out, refusing unknown and duplicate fields (the
// API server's strict field validation, as kubectl apply --validate=strict does).
func decodeStrict(doc []byte, out any) error {
	return yaml.UnmarshalStrict(doc, out)
}

// decode splits kustomize's output and decodes every object by its apiVersion and kind. A kind
// this test does not know fails: add it here, with its checks, when the manifests grow one.
func decode(t *testing.T, out []byte) *rendered {
	t.Helper()
	r := &rendered{
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]*corev1.ServiceAccount{}, deployments: map[string]*appsv1.Deployment{},
		services: map[string]*corev1.Service{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, netpols: map[string]*networkingv1.NetworkPolicy{},
		rules: map[string]*monitoringv1.PrometheusRule{},
	}
	for i, doc := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		gvk := tm.APIVersion + "/" + tm.Kind
		var err error
		var meta *metav1.ObjectMeta
		switch gvk {
		case "v1/Namespace":
			o := &corev1.Namespace{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.namespaces = append(r.namespaces, o)
		case "v1/ConfigMap":
			o := &corev1.ConfigMap{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.configMaps[o.Name] = o
		case "v1/Secret":
			o := &corev1.Secret{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.secrets[o.Name] = o
		case "v1/ServiceAccount":
			o := &corev1.ServiceAccount{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.accounts[o.Name] = o
		case "apps/v1/Deployment":
			o := &appsv1.Deployment{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.deployments[o.Name] = o
		case "v1/Service":
			o := &corev1.Service{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.services[o.Name] = o
		case "autoscaling/v2/HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.hpas[o.Name] = o
		case "policy/v1/PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.pdbs[o.Name] = o
		case "networking.k8s.io/v1/NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.netpols[o.Name] = o
		case "monitoring.coreos.com/v1/PrometheusRule":
			// The Prometheus Operator's own type; rules_test.go checks the rules with promtool.
			o := &monitoringv1.PrometheusRule{}
			err, meta = decodeStrict(doc, o), &o.ObjectMeta
			r.rules[o.Name] = o
		default:
			t.Fatalf("document %d: %s is not a kind this test validates", i, gvk)
		}
		if err != nil {
			t.Fatalf("document %d (%s): %v", i, gvk, err)
		}
		checkMeta(t, gvk, meta, gvk != "v1/Namespace")
	}
	return r
}

// checkMeta validates an object's name, namespace, labels and annotations as the API server
// does.
func checkMeta(t *testing.T, gvk string, m *metav1.ObjectMeta, namespaced bool) {
	t.Helper()
	what := gvk + " " + m.Name
	for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
		t.Errorf("%s: name: %s", what, msg)
	}
	if namespaced {
		if m.Namespace == "" {
			t.Errorf("%s: no namespace (the overlay should set one)", what)
		}
		for _, msg := range validation.IsDNS1123Label(m.Namespace) {
			t.Errorf("%s: namespace: %s", what, msg)
		}
	}
	for _, e := range metavalidation.ValidateLabels(m.Labels, field.NewPath("metadata", "labels")) {
		t.Errorf("%s: %v", what, e)
	}
	for k := range m.Annotations {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			t.Errorf("%s: annotation %s: %s", what, k, msg)
		}
	}
}

// overlay is what an environment must look like beyond the checks every overlay gets.
type overlay struct {
	dir             string
	namespace       string
	externalSecrets []string // created outside the repository: referenced, not rendered
	replicas        int32
	hpa             bool
	credentialsEnv  bool // Mode credentials from a Secret (else the built-in emulator)
}

var overlays = []overlay{
	{dir: "overlays/dev", namespace: "modeplatform-dev", replicas: 1},
	{
		dir: "overlays/prod", namespace: "modeplatform", replicas: 3, hpa: true, credentialsEnv: true,
		externalSecrets: []string{"modeplatform-policy", "modeplatform-mode-credentials"},
	},
}

// TestOverlays renders each overlay and validates every object.
func TestOverlays(t *testing.T) {
	for _, ov := range overlays {
		t.Run(filepath.Base(ov.dir), func(t *testing.T) {
			r := decode(t, kustomize(t, ov.dir))
			checkReferences(t, r, ov)
			for _, d := range r.deployments {
				checkDeployment(t, r, d)
			}
			for _, s := range r.services {
				checkService(t, r, s)
			}
			for _, h := range r.hpas {
				checkHPA(t, r, h)
			}
			for _, p := range r.pdbs {
				if _, ok := selects(t, r, p.Spec.Selector); !ok {
					t.Errorf("PodDisruptionBudget %s selects no Deployment's pods", p.Name)
				}
				if p.Spec.MaxUnavailable == nil && p.Spec.MinAvailable == nil {
					t.Errorf("PodDisruptionBudget %s sets neither maxUnavailable nor minAvailable", p.Name)
				}
			}
			for _, np := range r.netpols {
				checkNetworkPolicy(t, r, np)
			}
			checkServer(t, r, ov)
		})
	}
}

// selects returns the Deployment whose pods sel selects, if exactly one does.
func selects(t *testing.T, r *rendered, sel *metav1.LabelSelector) (*appsv1.Deployment, bool) {
	t.Helper()
	if errs := metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, field.NewPath("selector")); len(errs) > 0 {
		t.Errorf("selector %v: %v", sel, errs)
		return nil, false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		t.Errorf("selector %v: empty or invalid (%v)", sel, err)
		return nil, false
	}
	var found []*appsv1.Deployment
	for _, d := range r.deployments {
		if s.Matches(labels.Set(d.Spec.Template.Labels)) {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		return nil, false
	}
	return found[0], true
}

// checkReferences makes sure every name an object refers to exists (or is an external Secret),
// and that namespaces are the overlay's.
func checkReferences(t *testing.T, r *rendered, ov overlay) {
	t.Helper()
	if len(r.namespaces) != 1 || r.namespaces[0].Name != ov.namespace {
		t.Fatalf("want exactly the Namespace %s", ov.namespace)
	}
	ns := r.namespaces[0]
	for k, want := range map[string]string{"pod-security.kubernetes.io/enforce": "restricted"} {
		if ns.Labels[k] != want {
			t.Errorf("Namespace %s: label %s = %q, want %q", ns.Name, k, ns.Labels[k], want)
		}
	}
	secret := func(name string) bool {
		_, ok := r.secrets[name]
		return ok || slices.Contains(ov.externalSecrets, name)
	}
	for _, d := range r.deployments {
		if d.Namespace != ov.namespace {
			t.Errorf("Deployment %s in namespace %q, want %q", d.Name, d.Namespace, ov.namespace)
		}
		spec := d.Spec.Template.Spec
		if sa := spec.ServiceAccountName; sa != "" && r.accounts[sa] == nil {
			t.Errorf("Deployment %s: service account %s does not exist", d.Name, sa)
		}
		for _, v := range spec.Volumes {
			switch {
			case v.ConfigMap != nil && r.configMaps[v.ConfigMap.Name] == nil:
				t.Errorf("Deployment %s: volume %s: ConfigMap %s does not exist", d.Name, v.Name, v.ConfigMap.Name)
			case v.Secret != nil && !secret(v.Secret.SecretName):
				t.Errorf("Deployment %s: volume %s: Secret %s does not exist", d.Name, v.Name, v.Secret.SecretName)
			}
		}
		for _, c := range spec.Containers {
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil && r.configMaps[e.ConfigMapRef.Name] == nil {
					t.Errorf("Deployment %s: envFrom ConfigMap %s does not exist", d.Name, e.ConfigMapRef.Name)
				}
				if e.SecretRef != nil && !secret(e.SecretRef.Name) {
					t.Errorf("Deployment %s: envFrom Secret %s does not exist", d.Name, e.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !secret(e.ValueFrom.SecretKeyRef.Name) {
					t.Errorf("Deployment %s: env %s: Secret %s does not exist", d.Name, e.Name, e.ValueFrom.SecretKeyRef.Name)
				}
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && r.configMaps[e.ValueFrom.ConfigMapKeyRef.Name] == nil {
					t.Errorf("Deployment %s: env %s: ConfigMap %s does not exist", d.Name, e.Name, e.ValueFrom.ConfigMapKeyRef.Name)
				}
			}
		}
	}
	for _, cm := range r.configMaps {
		for k := range cm.Data {
			for _, msg := range validation.IsConfigMapKey(k) {
				t.Errorf("ConfigMap %s: key %s: %s", cm.Name, k, msg)
			}
		}
	}
}

// allowedVolume is what the restricted Pod Security Standard allows.
func allowedVolume(v corev1.Volume) bool {
	s := v.VolumeSource
	return s.ConfigMap != nil || s.Secret != nil || s.EmptyDir != nil || s.Projected != nil ||
		s.DownwardAPI != nil || s.CSI != nil || s.Ephemeral != nil || s.PersistentVolumeClaim != nil
}

// checkDeployment validates a Deployment's pod template: what the API server would refuse, the
// restricted Pod Security Standard, and this project's own rules (pinned images, resources,
// probes, read-only root filesystem).
func checkDeployment(t *testing.T, r *rendered, d *appsv1.Deployment) {
	t.Helper()
	what := "Deployment " + d.Name
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: the selector %v does not select its own pod template (%v)", what, d.Spec.Selector, err)
	}
	spec := d.Spec.Template.Spec
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Errorf("%s: shares a host namespace", what)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not need", what)
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
		if !allowedVolume(v) {
			t.Errorf("%s: volume %s is of a type the restricted Pod Security Standard forbids", what, v.Name)
		}
		if v.EmptyDir != nil && v.EmptyDir.SizeLimit == nil {
			t.Errorf("%s: emptyDir %s has no sizeLimit", what, v.Name)
		}
	}
	if len(spec.Containers) == 0 {
		t.Fatalf("%s: no containers", what)
	}
	for _, c := range spec.Containers {
		cw := what + " container " + c.Name
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			t.Errorf("%s: name: %s", cw, msg)
		}
		if i := strings.LastIndex(c.Image, ":"); i <= strings.LastIndex(c.Image, "/") || strings.HasSuffix(c.Image, ":latest") {
			t.Errorf("%s: image %q is not pinned to a tag", cw, c.Image)
		}
		ports := map[string]int32{}
		for _, p := range c.Ports {
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				t.Errorf("%s: port %d: %s", cw, p.ContainerPort, msg)
			}
			for _, msg := range validation.IsValidPortName(p.Name) {
				t.Errorf("%s: port name %q: %s", cw, p.Name, msg)
			}
			ports[p.Name] = p.ContainerPort
		}
		// Security: the restricted profile, plus a read-only root filesystem.
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no securityContext", cw)
			continue
		}
		nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (psc.RunAsNonRoot != nil && *psc.RunAsNonRoot)
		if !nonRoot {
			t.Errorf("%s: runAsNonRoot is not set", cw)
		}
		for _, uid := range []*int64{sc.RunAsUser, psc.RunAsUser} {
			if uid != nil && *uid == 0 {
				t.Errorf("%s: runs as root", cw)
			}
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", cw)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: capabilities do not drop ALL", cw)
		} else {
			for _, c := range sc.Capabilities.Add {
				if c != "NET_BIND_SERVICE" {
					t.Errorf("%s: adds capability %s", cw, c)
				}
			}
		}
		seccomp := psc.SeccompProfile
		if sc.SeccompProfile != nil {
			seccomp = sc.SeccompProfile
		}
		if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
			t.Errorf("%s: no RuntimeDefault (or Localhost) seccomp profile", cw)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: the root filesystem is writable", cw)
		}
		// Resources: requests for scheduling (and the autoscaler), a memory limit.
		req, lim := c.Resources.Requests, c.Resources.Limits
		if req.Cpu().IsZero() || req.Memory().IsZero() {
			t.Errorf("%s: no cpu or memory request", cw)
		}
		if lim.Memory().IsZero() {
			t.Errorf("%s: no memory limit", cw)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if l, ok := lim[res]; ok {
				if rq := req[res]; rq.Cmp(l) > 0 {
					t.Errorf("%s: %s request %s above its limit %s", cw, res, rq.String(), l.String())
				}
			}
		}
		// Probes, on ports the container has.
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Errorf("%s: needs a readiness and a liveness probe", cw)
		}
		for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
			if p == nil {
				continue
			}
			switch {
			case p.GRPC != nil:
				if !hasPort(ports, intstr.FromInt32(p.GRPC.Port)) {
					t.Errorf("%s: gRPC probe on port %d, which the container does not declare", cw, p.GRPC.Port)
				}
			case p.TCPSocket != nil:
				if !hasPort(ports, p.TCPSocket.Port) {
					t.Errorf("%s: TCP probe on port %s, which the container does not declare", cw, p.TCPSocket.Port.String())
				}
			case p.HTTPGet != nil:
				if !hasPort(ports, p.HTTPGet.Port) {
					t.Errorf("%s: HTTP probe on port %s, which the container does not declare", cw, p.HTTPGet.Port.String())
				}
			case p.Exec != nil:
				if len(p.Exec.Command) == 0 {
					t.Errorf("%s: exec probe without a command", cw)
				}
			default:
				t.Errorf("%s: a probe with no handler", cw)
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				t.Errorf("%s: mounts volume %s, which the pod does not have", cw, m.Name)
			}
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				t.Errorf("%s: env %s: %s", cw, e.Name, msg)
			}
		}
	}
}

// hasPort reports whether p (a number or a name) is among the container's ports.
func hasPort(ports map[string]int32, p intstr.IntOrString) bool {
	if p.Type == intstr.String {
		_, ok := ports[p.StrVal]
		return ok
	}
	for _, n := range ports {
		if n == p.IntVal {
			return true
		}
	}
	return false
}

// checkService validates a Service: it selects one Deployment's pods and targets their ports.
func checkService(t *testing.T, r *rendered, s *corev1.Service) {
	t.Helper()
	d, ok := selects(t, r, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
	if !ok {
		t.Errorf("Service %s selects no single Deployment's pods", s.Name)
		return
	}
	ports := map[string]int32{}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
	}
	for _, p := range s.Spec.Ports {
		for _, msg := range validation.IsValidPortNum(int(p.Port)) {
			t.Errorf("Service %s port %d: %s", s.Name, p.Port, msg)
		}
		if !hasPort(ports, p.TargetPort) {
			t.Errorf("Service %s port %s targets %s, which Deployment %s does not declare", s.Name, p.Name, p.TargetPort.String(), d.Name)
		}
		if p.AppProtocol == nil {
			t.Errorf("Service %s port %s has no appProtocol", s.Name, p.Name)
		}
	}
}

// checkHPA validates an autoscaler against its target.
func checkHPA(t *testing.T, r *rendered, h *autoscalingv2.HorizontalPodAutoscaler) {
	t.Helper()
	ref := h.Spec.ScaleTargetRef
	d := r.deployments[ref.Name]
	if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || d == nil {
		t.Fatalf("HorizontalPodAutoscaler %s scales %s %s, which is not rendered", h.Name, ref.Kind, ref.Name)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		t.Errorf("HorizontalPodAutoscaler %s: want 1 <= minReplicas <= maxReplicas", h.Name)
	}
	if d.Spec.Replicas != nil && h.Spec.MinReplicas != nil && *d.Spec.Replicas < *h.Spec.MinReplicas {
		t.Errorf("Deployment %s starts with %d replicas, below its autoscaler's minimum %d", d.Name, *d.Spec.Replicas, *h.Spec.MinReplicas)
	}
	for _, m := range h.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
			for _, c := range d.Spec.Template.Spec.Containers {
				if _, ok := c.Resources.Requests[m.Resource.Name]; !ok {
					t.Errorf("HorizontalPodAutoscaler %s scales on %s utilization but container %s requests none", h.Name, m.Resource.Name, c.Name)
				}
			}
		}
	}
	if len(h.Spec.Metrics) == 0 {
		t.Errorf("HorizontalPodAutoscaler %s has no metric", h.Name)
	}
}

// checkNetworkPolicy validates a NetworkPolicy: it applies to some pods, its peers select some
// pods (of this overlay) or namespaces, its ports are valid.
func checkNetworkPolicy(t *testing.T, r *rendered, np *networkingv1.NetworkPolicy) {
	t.Helper()
	if _, ok := selects(t, r, &np.Spec.PodSelector); !ok {
		t.Errorf("NetworkPolicy %s applies to no single Deployment's pods", np.Name)
	}
	for _, pt := range np.Spec.PolicyTypes {
		if pt != networkingv1.PolicyTypeIngress && pt != networkingv1.PolicyTypeEgress {
			t.Errorf("NetworkPolicy %s: policy type %q", np.Name, pt)
		}
	}
	checkPeers := func(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) {
		for _, p := range peers {
			if p.PodSelector != nil && p.NamespaceSelector == nil {
				// A pod selector alone means this namespace: it must select pods rendered here.
				sel, err := metav1.LabelSelectorAsSelector(p.PodSelector)
				found := false
				for _, d := range r.deployments {
					found = found || (err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)))
				}
				if !found {
					t.Errorf("NetworkPolicy %s: peer %v selects no pod of this deployment", np.Name, p.PodSelector)
				}
			}
			if p.IPBlock != nil && !regexp.MustCompile(`^[0-9.]+/\d+$`).MatchString(p.IPBlock.CIDR) {
				t.Errorf("NetworkPolicy %s: CIDR %q", np.Name, p.IPBlock.CIDR)
			}
		}
		for _, p := range ports {
			if p.Port != nil && p.Port.Type == intstr.Int {
				for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
					t.Errorf("NetworkPolicy %s: port %d: %s", np.Name, p.Port.IntVal, msg)
				}
			}
		}
	}
	for _, in := range np.Spec.Ingress {
		checkPeers(in.From, in.Ports)
	}
	for _, out := range np.Spec.Egress {
		checkPeers(out.To, out.Ports)
	}
}

// runtimeEnv are environment variables read by the Go runtime or OpenTelemetry, not by the
// server's flags.
var runtimeEnv = regexp.MustCompile(`^(GOMEMLIMIT|GOMAXPROCS|GOGC|GODEBUG|OTEL_[A-Z0-9_]+)$`)

// checkServer checks modeplatform's own Deployment against the server's behaviour: the settings
// are ones the binary reads, the drain fits in the grace period, the probes are gRPC health on
// the API port, the credentials come from a Secret or not at all, and Redis is wired.
func checkServer(t *testing.T, r *rendered, ov overlay) {
	t.Helper()
	d := r.deployments["modeplatform"]
	if d == nil {
		t.Fatal("no Deployment modeplatform")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != ov.replicas {
		t.Errorf("replicas = %v, want %d", d.Spec.Replicas, ov.replicas)
	}
	if _, ok := r.hpas["modeplatform"]; ok != ov.hpa {
		t.Errorf("HorizontalPodAutoscaler present = %v, want %v", ok, ov.hpa)
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]

	var env *corev1.ConfigMap
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil {
			env = r.configMaps[e.ConfigMapRef.Name]
		}
	}
	if env == nil {
		t.Fatal("the server's container takes no ConfigMap as its environment")
	}
	known := serverEnvVars(t)
	for k := range env.Data {
		if !known[k] && !runtimeEnv.MatchString(k) {
			t.Errorf("ConfigMap %s sets %s, which the server does not read (modeplatform --help lists its variables)", env.Name, k)
		}
		if k == "MODE_API_TOKEN" || k == "MODE_API_SECRET" {
			t.Errorf("ConfigMap %s holds %s: credentials belong in a Secret", env.Name, k)
		}
	}
	for _, want := range []string{"REDIS_URL", "LISTEN_ADDR", "ADMIN_ADDR", "SHUTDOWN_GRACE", "POLICY_FILE"} {
		if env.Data[want] == "" {
			t.Errorf("ConfigMap %s does not set %s", env.Name, want)
		}
	}

	// Graceful termination: preStop sleep, then the server's drain, within the grace period.
	grace, err := time.ParseDuration(env.Data["SHUTDOWN_GRACE"])
	if err != nil {
		t.Fatalf("SHUTDOWN_GRACE %q: %v", env.Data["SHUTDOWN_GRACE"], err)
	}
	var preStop time.Duration
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no preStop sleep: connections may arrive after the drain began")
	} else {
		preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	if spec.TerminationGracePeriodSeconds == nil {
		t.Fatal("no terminationGracePeriodSeconds")
	}
	if total := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second; total <= preStop+grace {
		t.Errorf("terminationGracePeriodSeconds %v does not cover preStop %v + SHUTDOWN_GRACE %v", total, preStop, grace)
	}

	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.GRPC == nil || p.GRPC.Port != 8080 {
			t.Errorf("%s probe is not gRPC health on port 8080", name)
		}
	}
	api := r.services["modeplatform"]
	if api == nil {
		t.Fatal("no Service modeplatform")
	}
	for _, p := range api.Spec.Ports {
		if p.Port == 8080 && (p.AppProtocol == nil || *p.AppProtocol != "kubernetes.io/h2c") {
			t.Error("the API port's appProtocol is not kubernetes.io/h2c")
		}
	}

	// Credentials: from a Secret in prod, absent in dev (the built-in emulator).
	creds := map[string]bool{}
	for _, e := range c.Env {
		if e.Name == "MODE_API_TOKEN" || e.Name == "MODE_API_SECRET" {
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Errorf("%s is not taken from a Secret", e.Name)
			}
			creds[e.Name] = true
		}
	}
	if got := len(creds) == 2; got != ov.credentialsEnv {
		t.Errorf("Mode credentials from a Secret = %v, want %v", got, ov.credentialsEnv)
	}
	if u := env.Data["REDIS_URL"]; u != "" {
		host := strings.TrimPrefix(strings.Split(strings.TrimPrefix(u, "redis://"), ":")[0], "")
		if r.services[host] == nil {
			t.Errorf("REDIS_URL %s names no Service of this deployment", u)
		}
	}
}

// TestOtelConfigCopy keeps otel/config.yaml, the copy kustomize can read, equal to
// otel-collector.yaml, the Collector configuration's source.
func TestOtelConfigCopy(t *testing.T) {
	src, err := os.ReadFile("otel-collector.yaml")
	if err != nil {
		t.Fatalf("the Collector configuration deploy/otel-collector.yaml: %v", err)
	}
	cp, err := os.ReadFile(filepath.Join("otel", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src, cp) {
		t.Error("deploy/otel/config.yaml differs from deploy/otel-collector.yaml: run\n\tcp deploy/otel-collector.yaml deploy/otel/config.yaml")
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatalf("otel-collector.yaml: %v", err)
	}
	for _, k := range []string{"receivers", "exporters", "service"} {
		if cfg[k] == nil {
			t.Errorf("otel-collector.yaml has no %s section", k)
		}
	}
	if !strings.Contains(fmt.Sprint(cfg["receivers"]), "otlp") {
		t.Error("otel-collector.yaml receives no OTLP: the replicas send OTLP to port 4318")
	}
}
