package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modeplatform/modeplatform/internal/httpserver"

	"connectrpc.com/connect"
	"golang.org/x/net/http2"

	modeplatformv1 "github.com/modeplatform/modeplatform/gen/go/modeplatform/v1"
	"github.com/modeplatform/modeplatform/gen/go/modeplatform/v1/modeplatformv1connect"
)

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "modeplatform test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for a server (ip) or a client (uri).
func (ca *testCA) issue(t *testing.T, serial int64, ip net.IP, uri string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		u, _ := url.Parse(uri)
		tmpl.URIs = []*url.URL{u}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestTLSAndClientCertificates serves TLS with a client CA: a caller named in the policy by
// its certificate gets in without a key, over HTTP/2; a caller with an unknown certificate or
// none (and no key) is Unauthenticated; a key still works without a certificate.
func TestTLSAndClientCertificates(t *testing.T) {
	t.Parallel()
	e := newSecEnv(t)
	dir := t.TempDir()
	ca := newTestCA(t)
	srvCert, srvKey := ca.issue(t, 2, net.ParseIP("127.0.0.1"), "")
	knownCert, knownKey := ca.issue(t, 3, nil, "spiffe://test.example/reporting")
	unknownCert, unknownKey := ca.issue(t, 4, nil, "spiffe://test.example/stranger")
	for name, content := range map[string][]byte{"ca.pem": ca.pem, "cert.pem": srvCert, "key.pem": srvKey} {
		writeFile(t, filepath.Join(dir, name), string(content))
	}
	writeFile(t, e.policy, policyYAML(testKeys)+
		"  - name: reporting\n    client_certs: [\"spiffe://test.example/reporting\"]\n    workspaces: [parch_and_posey]\n    scopes: [read]\n")
	env := e.env()
	env["TLS_CERT"], env["TLS_KEY"], env["TLS_CLIENT_CA"] = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	ts := startServer(t, nil, env, hooks{})
	base := "https://" + ts.addr

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	client := func(certPEM, keyPEM []byte) *http.Client {
		conf := &tls.Config{RootCAs: roots}
		if certPEM != nil {
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			conf.Certificates = []tls.Certificate{pair}
		}
		tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
	tests := []struct {
		name       string
		hc         *http.Client
		key        string
		want       connect.Code
		wantCaller string
	}{
		{"KnownCertificate", client(knownCert, knownKey), "", 0, "reporting"},
		{"UnknownCertificate", client(unknownCert, unknownKey), "", connect.CodeUnauthenticated, ""},
		{"NoCertificateNoKey", client(nil, nil), "", connect.CodeUnauthenticated, ""},
		{"KeyWithoutCertificate", client(nil, nil), testKeys["reader"], 0, "reader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, opts := range [][]connect.ClientOption{nil, {connect.WithGRPC()}} {
				ws := modeplatformv1connect.NewWorkspaceServiceClient(tt.hc, base, opts...)
				req := connect.NewRequest(&modeplatformv1.GetWorkspaceRequest{Name: "workspaces/" + demoWS})
				if tt.key != "" {
					req.Header().Set("Authorization", "Bearer "+tt.key)
				}
				_, err := ws.GetWorkspace(t.Context(), req)
				if (tt.want == 0) != (err == nil) || (err != nil && connect.CodeOf(err) != tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			}
			if tt.wantCaller != "" && !strings.Contains(ts.stderr.String(), `"caller":"`+tt.wantCaller+`"`) {
				t.Errorf("the access log does not name caller %s", tt.wantCaller)
			}
		})
	}
	resp, err := client(knownCert, knownKey).Get(base + "/grpc.health.v1.Health/Check")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("TLS served %s, want HTTP/2", resp.Proto)
	}
}

// TestHTTP2MaxConcurrentStreams reads the server's HTTP/2 SETTINGS: one connection may not
// open more than httpserver.MaxConcurrentStreams streams.
func TestHTTP2MaxConcurrentStreams(t *testing.T) {
	t.Parallel()
	ts := startServer(t, nil, nil, hooks{})
	conn, err := net.DialTimeout("tcp", ts.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(waitLimit))
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, bufio.NewReader(conn))
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		sf, ok := f.(*http2.SettingsFrame)
		if !ok || sf.IsAck() {
			continue
		}
		v, ok := sf.Value(http2.SettingMaxConcurrentStreams)
		if !ok || v != httpserver.MaxConcurrentStreams {
			t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (sent %v), want %d", v, ok, httpserver.MaxConcurrentStreams)
		}
		return
	}
}
