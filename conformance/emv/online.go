package emv

import (
	"fmt"
	"slices"

	"github.com/sscard/sscard/emulator/iso7816"
)

// Host is the terminal's connection to the issuer (through the acquirer):
// it takes an authorisation request with the card's cryptogram and returns
// the issuer's answer.
type Host interface {
	Authorize(req *AuthRequest) (*AuthResponse, error)
}

// AuthRequest is an authorisation request: the data elements an ISO 8583
// field 55 would carry, and the exact bytes the card computed its
// cryptogram from.
type AuthRequest struct {
	Contactless bool
	// Data holds the terminal and card data elements by tag: 5A, 5F34,
	// 9F26, 9F27, 9F36, 9F10, 82, 95, 9F02, 9F37... as the transaction
	// used them.
	Data map[Tag][]byte
	// PDOLData is what the terminal sent in GET PROCESSING OPTIONS;
	// CDOL1Data what it sent in the first GENERATE AC (contact only).
	PDOLData  []byte
	CDOL1Data []byte
}

// Get returns a data element of the request.
func (r *AuthRequest) Get(t Tag) []byte { return r.Data[t] }

// AuthResponse is the issuer's answer.
type AuthResponse struct {
	// ARC is the authorisation response code (8A): "00" approves.
	ARC [2]byte
	// IssuerAuthData is 91 (ARPC and response code), empty when none.
	IssuerAuthData []byte
	// Scripts are issuer script templates 71 and 72, encoded.
	Scripts []byte
}

// Approved reports whether the ARC approves (EMV Book 4 Annex A6: 00,
// 10 and 11 approve).
func (r *AuthResponse) Approved() bool {
	switch string(r.ARC[:]) {
	case "00", "10", "11":
		return true
	}
	return false
}

// ARC codes the terminal sets itself when it cannot reach the issuer.
var (
	arcUnableApproved = [2]byte{'Y', '3'}
	arcUnableDeclined = [2]byte{'Z', '3'}
)

func (x *txn) authRequest() *AuthRequest {
	x.syncStatus()
	return newAuthRequest(x.tx.Contactless, x.db, x.pdolData, x.cdol1, x.pan())
}

// AuthRequest returns the authorisation request of a finished
// transaction, as the kernel would send it now: to send a TC online, or to
// have an issuer check a cryptogram afterwards. Nil when the transaction
// ended before the card answered GPO.
func (r *Result) AuthRequest() *AuthRequest {
	if r.DB == nil {
		return nil
	}
	return newAuthRequest(r.Contactless, r.DB, r.PDOLData, r.CDOL1Data, panOf(r.DB))
}

func newAuthRequest(contactless bool, db *DB, pdol, cdol1, pan []byte) *AuthRequest {
	req := &AuthRequest{Contactless: contactless, Data: map[Tag][]byte{},
		PDOLData: slices.Clone(pdol), CDOL1Data: slices.Clone(cdol1)}
	for _, e := range db.Elements() {
		if e.Source == FromIssuer || e.Tag.Constructed() {
			continue
		}
		switch e.Tag {
		case TagIssuerCert, TagICCCert, TagIssuerRemainder, TagICCRemainder, TagSSAD, TagSDAD, TagPDOL, TagCDOL1, TagCDOL2, TagCVMList:
			continue
		}
		req.Data[e.Tag] = slices.Clone(e.Value)
	}
	if pan != nil {
		req.Data[TagPAN] = slices.Clone(pan)
	}
	return req
}

// askIssuer sends the authorisation request; nil response and no error
// means no host.
func (x *txn) askIssuer() (*AuthResponse, error) {
	if x.cfg.Host == nil {
		return nil, nil
	}
	req := x.authRequest()
	x.res.Online = &OnlineResult{Request: req}
	resp, err := x.cfg.Host.Authorize(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIssuer, err)
	}
	if resp == nil {
		return nil, fmt.Errorf("%w: no answer", ErrIssuer)
	}
	x.res.Online.Response = resp
	x.db.setIssuer(TagARC, resp.ARC[:])
	if len(resp.IssuerAuthData) > 0 {
		x.db.setIssuer(TagIssuerAuthData, resp.IssuerAuthData)
	}
	return resp, nil
}

// onlineContact completes a contact transaction whose first GENERATE AC
// returned an ARQC (EMV Book 3 §10.9-10.11).
func (x *txn) onlineContact() error {
	resp, err := x.askIssuer()
	if resp == nil && err == nil {
		x.finish(OnlineRequest)
		return nil
	}
	var want Cryptogram
	if err != nil {
		// Unable to go online: default action analysis decides.
		want = x.defaultAnalysis()
		arc := arcUnableDeclined
		if want == TC {
			arc = arcUnableApproved
		}
		x.db.Set(TagARC, arc[:])
	} else {
		if err := x.issuerAuthenticate(resp); err != nil {
			return err
		}
		if err := x.scripts(resp.Scripts, TagScript71); err != nil {
			return err
		}
		want = AAC
		if resp.Approved() {
			want = TC
		}
	}
	got, gerr := x.generateAC(want, true)
	x.res.TSI.Set(TSICardRisk)
	if resp != nil {
		if err := x.scripts(resp.Scripts, TagScript72); err != nil {
			return err
		}
	}
	if gerr != nil {
		return gerr
	}
	switch {
	case resp == nil && got == TC:
		x.finish(ApprovedOffline)
	case resp == nil:
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: the issuer could not be reached (%w) and the card declined", ErrDeclined, err)
	case got == TC:
		x.finish(ApprovedOnline)
	case resp.Approved():
		x.finish(DeclinedOnline)
		return fmt.Errorf("%w: the issuer approved but the card returned %s", ErrDeclined, got)
	default:
		x.finish(DeclinedOnline)
		return fmt.Errorf("%w: the issuer answered %q", ErrDeclined, resp.ARC[:])
	}
	return nil
}

// issuerAuthenticate sends the issuer authentication data to a card whose
// AIP says it supports EXTERNAL AUTHENTICATE (EMV Book 3 §10.9).
func (x *txn) issuerAuthenticate(resp *AuthResponse) error {
	if len(resp.IssuerAuthData) == 0 || x.aip[0]&aipIssuerAuth == 0 {
		return nil
	}
	x.res.TSI.Set(TSIIssuerAuth)
	r, err := x.send("EXTERNAL AUTHENTICATE", iso7816.Command{CLA: 0x00, INS: 0x82, Data: resp.IssuerAuthData})
	if err != nil {
		return err
	}
	ok := r.SW == iso7816.SWOK
	x.res.Online.IssuerAuth = &ok
	if !ok {
		x.res.TVR.Set(TVRIssuerAuthFailed)
	}
	return nil
}

// maxScriptCommands bounds the commands of one transaction's scripts.
const maxScriptCommands = 64

// scripts runs the issuer scripts of one template tag (EMV Book 3
// §10.10): each script's commands in order, stopping a script at the
// first command whose SW1 is not 90, 62 or 63.
func (x *txn) scripts(raw []byte, which Tag) error {
	if len(raw) == 0 {
		return nil
	}
	p := iso7816.NewParser(raw)
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			return fmt.Errorf("%w: malformed issuer scripts", ErrIssuer)
		}
		if t != which {
			continue
		}
		x.res.TSI.Set(TSIScriptProcess)
		sr := ScriptResult{Template: which}
		sp := iso7816.NewParser(v)
		for !sp.Empty() {
			var st Tag
			var sv []byte
			if !sp.ReadTLV(&st, &sv) {
				sr.Failed = true
				break
			}
			switch st {
			case TagScriptID:
				sr.ID = slices.Clone(sv)
				continue
			case TagScriptCommand:
			default:
				continue
			}
			if sr.Commands >= maxScriptCommands {
				sr.Failed = true
				break
			}
			sr.Commands++
			cmd, err := iso7816.ParseCommand(sv)
			if err != nil {
				sr.Failed = true
				break
			}
			r, err := x.send(fmt.Sprintf("issuer script %s command %d", which, sr.Commands), cmd)
			if err != nil {
				return err
			}
			sr.SW = uint16(r.SW)
			if s1 := r.SW.SW1(); s1 != 0x90 && s1 != 0x62 && s1 != 0x63 {
				sr.Failed = true
				break
			}
		}
		if sr.Failed {
			if which == TagScript71 {
				x.res.TVR.Set(TVRScriptFailedBefore)
			} else {
				x.res.TVR.Set(TVRScriptFailedAfter)
			}
		}
		x.res.Online.Scripts = append(x.res.Online.Scripts, sr)
	}
	x.db.Set(TagScriptResults, scriptResults(x.res.Online.Scripts))
	return nil
}

// scriptResults encodes 9F5B: per script, a result nibble (1 failed, 2
// performed) with the failing command's number, and the script ID.
func scriptResults(rs []ScriptResult) []byte {
	var out []byte
	for _, r := range rs {
		b := byte(0x20)
		if r.Failed {
			n := r.Commands
			if n > 15 {
				n = 15
			}
			b = 0x10 | byte(n)
		}
		id := make([]byte, 4)
		copy(id, r.ID)
		out = append(out, b)
		out = append(out, id...)
	}
	return out
}
