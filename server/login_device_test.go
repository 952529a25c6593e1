package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

// startDevice asks POST /connect for a device login.
func (lf *loginFix) startDevice(t *testing.T, subject string) deviceAnswer {
	t.Helper()
	st, _, body := lf.do(t, "POST", "/connect", `{"app":"device","subject":"`+subject+`"}`, map[string]string{"Content-Type": "application/json"})
	if st != 200 {
		t.Fatalf("connect device: %d %s", st, body)
	}
	var a deviceAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if a.UserCode == "" || !strings.Contains(a.VerificationURL, url.QueryEscape(a.UserCode)) || a.ExpiresAt <= time.Now().Unix() ||
		a.StatusURL != ConnectStatusPath+"?t="+a.ID || len(a.ID) != 43 {
		t.Fatalf("device answer %+v", a)
	}
	return a
}

// waitDevice polls the status URL until the login leaves "pending".
func (lf *loginFix) waitDevice(t *testing.T, a deviceAnswer) deviceStatus {
	t.Helper()
	for range 300 {
		st, _, body := lf.do(t, "GET", a.StatusURL, "", nil)
		if st != 200 {
			t.Fatalf("status: %d %s", st, body)
		}
		var ds deviceStatus
		if err := json.Unmarshal(body, &ds); err != nil {
			t.Fatal(err)
		}
		if ds.State != devicePending {
			return ds
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the device login never finished")
	return deviceStatus{}
}

// TestConnectDevice: POST /connect for a device app answers the code to
// show; once the person approves at Coze, the server (which polls Coze)
// stores the grant, names the Coze account, and /token serves the user;
// the store is the server's own, so no second process needs it.
func TestConnectDevice(t *testing.T) {
	t.Parallel()
	loginModes(t, func(t *testing.T, lf *loginFix) {
		a := lf.startDevice(t, "dave")
		if ds := lf.waitDeviceOnce(t, a); ds.State != devicePending || ds.App != "device" || ds.Subject != "dave" {
			t.Fatalf("before approval: %+v", ds)
		}
		if st, page, _ := newBrowser(t, nil).get(t, a.VerificationURL); st != 200 {
			t.Fatalf("verification page: %d %s", st, page)
		}
		ds := lf.waitDevice(t, a)
		if ds.State != deviceConnected || !strings.Contains(ds.Account, emulator.DefaultUser) {
			t.Fatalf("after approval: %+v", ds)
		}
		g := lf.grantOf(t, "device", "dave")
		if g == nil || g.State != grant.Active || !strings.Contains(g.User, emulator.DefaultUser) {
			t.Fatalf("grant %v", g)
		}
		st, _, body := lf.do(t, "POST", "/token", `{"app":"device"}`, map[string]string{"X-User-ID": "dave"})
		if st != 200 || lf.callCoze(t, decode[tokenAnswer](t, body).AccessToken) != 200 {
			t.Fatalf("token for dave: %d %s", st, body)
		}
		audit := lf.audit.String()
		if !strings.Contains(audit, "result=device_code") || !strings.Contains(audit, "result=connected") {
			t.Fatalf("audit: %s", audit)
		}
		lf.noSecrets(t, audit)
	})
}

// waitDeviceOnce reads the status once.
func (lf *loginFix) waitDeviceOnce(t *testing.T, a deviceAnswer) deviceStatus {
	t.Helper()
	_, _, body := lf.do(t, "GET", a.StatusURL, "", nil)
	return decode[deviceStatus](t, body)
}

// TestConnectDeviceDenied: a declined login stores nothing and says so.
func TestConnectDeviceDenied(t *testing.T) {
	t.Parallel()
	lf := loginFixture(t, nil)
	lf.emu.SetApprove(emulator.ApproveDeny)
	a := lf.startDevice(t, "erin")
	newBrowser(t, nil).get(t, a.VerificationURL)
	if ds := lf.waitDevice(t, a); ds.State != deviceDenied || ds.Reason == "" {
		t.Fatalf("after denial: %+v", ds)
	}
	lf.noGrants(t)
	st, _, body := lf.do(t, "POST", "/token", `{"app":"device"}`, map[string]string{"X-User-ID": "erin"})
	if st != 403 || !strings.Contains(string(body), "needs_login") {
		t.Fatalf("token for erin: %d %s", st, body)
	}
}

// TestConnectDeviceBadInput: return_to makes no sense for a device login;
// a status id nobody was given is unknown.
func TestConnectDeviceBadInput(t *testing.T) {
	lf := loginFixture(t, nil)
	st, _, body := lf.do(t, "POST", "/connect", `{"app":"device","subject":"x","return_to":"http://127.0.0.1/app/"}`, nil)
	if st != 400 || !strings.Contains(string(body), "return_to is for browser logins") {
		t.Fatalf("return_to: %d %s", st, body)
	}
	for _, q := range []string{"", "?t=", "?t=" + strings.Repeat("A", 43), "?t=%00"} {
		if st, _, body := lf.do(t, "GET", ConnectStatusPath+q, "", nil); st != 404 || !strings.Contains(string(body), "unknown_login") {
			t.Fatalf("status%s: %d %s", q, st, body)
		}
	}
	if n := len(lf.server.devices.logins); n != 0 {
		t.Fatalf("a refused request started %d device logins", n)
	}
}

// TestDeviceTableBounded: pending logins are capped, and so are the
// records kept in all (finished ones included); a login that never
// started leaves nothing behind.
func TestDeviceTableBounded(t *testing.T) {
	var tb deviceTable
	now := time.Now()
	for i := range MaxDeviceLogins {
		if _, ok := tb.add(broker.Request{App: "device", Session: fmt.Sprint(i)}, now); !ok {
			t.Fatalf("pending login %d refused", i)
		}
	}
	if _, ok := tb.add(broker.Request{App: "device"}, now); ok {
		t.Fatal("a login past MaxDeviceLogins pending was accepted")
	}
	for id := range tb.logins {
		tb.finish(id, deviceDenied, "declined", "", now)
	}
	for range maxDeviceRecords - MaxDeviceLogins {
		id, ok := tb.add(broker.Request{App: "device"}, now)
		if !ok {
			t.Fatal("refused below the record cap")
		}
		tb.finish(id, deviceExpired, "lapsed", "", now)
	}
	if _, ok := tb.add(broker.Request{App: "device"}, now); ok || len(tb.logins) != maxDeviceRecords {
		t.Fatalf("%d records kept, cap %d", len(tb.logins), maxDeviceRecords)
	}
	var tb2 deviceTable
	id, _ := tb2.add(broker.Request{}, now)
	tb2.drop(id)
	if len(tb2.logins) != 0 {
		t.Fatal("a dropped login stayed")
	}
	if _, ok := tb.add(broker.Request{App: "device"}, now.Add(deviceKeep+time.Second)); !ok {
		t.Fatal("finished records were not forgotten after deviceKeep")
	}
}
