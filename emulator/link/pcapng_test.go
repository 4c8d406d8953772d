package link

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/internal/hosttools"
)

// pcapPacket is a packet read back from a pcapng file.
type pcapPacket struct {
	ts    uint64
	event byte
	data  []byte
}

// readPcapng reads the files this package writes, checking their
// structure: a section header, one ISO 14443 interface with nanosecond
// time stamps, enhanced packets with the pseudo-header.
func readPcapng(t testing.TB, b []byte) []pcapPacket {
	t.Helper()
	le := binary.LittleEndian
	var out []pcapPacket
	sawIDB := false
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("block at %d: %d bytes left", off, len(b)-off)
		}
		typ, n := le.Uint32(b[off:]), int(le.Uint32(b[off+4:]))
		if n < 12 || n%4 != 0 || off+n > len(b) || le.Uint32(b[off+n-4:]) != uint32(n) {
			t.Fatalf("block %08X at %d: length %d", typ, off, n)
		}
		body := b[off+8 : off+n-4]
		switch {
		case off == 0:
			if typ != blockSHB || le.Uint32(body) != byteOrderMark || le.Uint16(body[4:]) != 1 {
				t.Fatalf("no section header first: % X", b[:16])
			}
		case typ == blockIDB:
			if le.Uint16(body) != LinkTypeISO14443 {
				t.Fatalf("link type %d", le.Uint16(body))
			}
			if !bytes.Contains(body, []byte{optIfTSResol, 0, 1, 0, 9}) {
				t.Fatalf("no nanosecond resolution in % X", body)
			}
			sawIDB = true
		case typ == blockEPB:
			if !sawIDB {
				t.Fatal("a packet before the interface")
			}
			capLen, origLen := int(le.Uint32(body[12:])), int(le.Uint32(body[16:]))
			if capLen != origLen || 20+capLen > len(body) || len(body)-20-capLen > 3 {
				t.Fatalf("packet lengths %d %d in a body of %d", capLen, origLen, len(body))
			}
			pkt := body[20 : 20+capLen]
			if len(pkt) < 4 || pkt[0] != 0 || int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt)-4 {
				t.Fatalf("pseudo-header % X", pkt[:min(len(pkt), 4)])
			}
			out = append(out, pcapPacket{ts: uint64(le.Uint32(body[4:]))<<32 | uint64(le.Uint32(body[8:])), event: pkt[1], data: pkt[4:]})
		default:
			t.Fatalf("unexpected block %08X", typ)
		}
		off += n
	}
	return out
}

func frame(dir Direction, start time.Duration, data ...byte) Frame {
	return Frame{Interface: Contactless, Dir: dir, Data: data, Start: start, Duration: 100 * time.Microsecond}
}

// sampleSession is a Type A activation and one APDU, as a card and the
// reference reader exchange them (CRCs included).
func sampleSession() *Trace {
	us := time.Microsecond
	t := &Trace{}
	for _, f := range []Frame{
		{Interface: Contactless, Dir: ToCard, Start: 0, Note: NoteFieldOn},
		{Interface: Contactless, Dir: ToCard, Data: []byte{0x52}, Bits: 7, Start: 5000 * us, Duration: 85 * us},
		frame(FromCard, 5176*us, 0x04, 0x00),
		frame(ToCard, 5451*us, 0x93, 0x20),
		frame(FromCard, 5726*us, 0x08, 0x93, 0x1C, 0x4C, 0xCB),
		frame(ToCard, 6256*us, 0x93, 0x70, 0x08, 0x93, 0x1C, 0x4C, 0xCB, 0x91, 0xFF),
		frame(FromCard, 7131*us, 0x20, 0xFC, 0x70),
		frame(ToCard, 7491*us, 0xE0, 0x80, 0x31, 0x73),
		frame(FromCard, 7936*us, 0x12, 0x78, 0x77, 0x70, 0x02, 0x00, 0x8C, 0x54, 0x4C, 0xB3, 0x86, 0x84, 0x41, 0x16, 0x01, 0x85, 0x93, 0xCA, 0x1C, 0xC2),
		frame(ToCard, 10000*us, 0x02, 0x00, 0x84, 0x00, 0x00, 0x08, 0xB1, 0x39),
		frame(FromCard, 11000*us, 0x02, 0x51, 0xF9, 0x83, 0xB0, 0xD7, 0xE0, 0x37, 0xF4, 0x90, 0x00, 0xC1, 0x3D),
		{Interface: Contact, Dir: ToCard, Data: []byte{0x00, 0xA4}, Start: 12000 * us},          // another interface: skipped
		{Interface: Contactless, Dir: FromCard, Start: 12000 * us, Note: "time-out: no answer"}, // an event of no link type: skipped
		{Interface: Contactless, Dir: ToCard, Start: 13000 * us, Note: NoteFieldOff},
	} {
		t.Add(f)
	}
	return t
}

func TestPcapng(t *testing.T) {
	var b bytes.Buffer
	epoch := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := sampleSession().WritePcapng(&b, PcapngOptions{Epoch: epoch}); err != nil {
		t.Fatal(err)
	}
	pkts := readPcapng(t, b.Bytes())
	if len(pkts) != 12 {
		t.Fatalf("%d packets, want 12 (10 frames, field on and off)", len(pkts))
	}
	if pkts[0].event != iso14443FieldOn || pkts[11].event != iso14443FieldOff || len(pkts[0].data) != 0 {
		t.Errorf("field events %02X %02X", pkts[0].event, pkts[11].event)
	}
	if pkts[1].event != iso14443ToCard || pkts[2].event != iso14443FromCard || !bytes.Equal(pkts[2].data, []byte{0x04, 0x00}) {
		t.Errorf("first frames %+v %+v", pkts[1], pkts[2])
	}
	if want := uint64(epoch.UnixNano()) + uint64(5176*time.Microsecond); pkts[2].ts != want {
		t.Errorf("time stamp %d, want %d", pkts[2].ts, want)
	}
	// The same trace, the same bytes: files are reproducible.
	var again bytes.Buffer
	sampleSession().WritePcapng(&again, PcapngOptions{Epoch: epoch})
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two writes of one trace differ")
	}
}

func TestPcapngErrors(t *testing.T) {
	var b bytes.Buffer
	pw, err := NewPcapngWriter(&b, PcapngOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = pw.WriteFrame(Frame{Interface: Contactless, Dir: ToCard, Data: make([]byte, MaxPcapngData+1)})
	if !errors.Is(err, ErrPcapngFrame) {
		t.Errorf("an oversized frame: %v", err)
	}
	if err := pw.WriteFrame(Frame{Interface: Contactless, Dir: ToCard, Data: make([]byte, MaxPcapngData)}); err != nil {
		t.Errorf("the largest frame: %v", err)
	}
	readPcapng(t, b.Bytes())
	if _, err := NewPcapngWriter(failWriter{}, PcapngOptions{}); err == nil {
		t.Error("a failing writer")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// The pcapng file opens in tshark, which dissects every frame as ISO
// 14443 without a malformed packet. Runs where tshark is installed; skips
// without it unless SSCARD_REQUIRE_TSHARK=1 (set by .ci/run).
func TestPcapngTshark(t *testing.T) {
	tshark := hosttools.Tshark(t)
	path := filepath.Join(t.TempDir(), "session.pcapng")
	var b bytes.Buffer
	if err := sampleSession().WritePcapng(&b, PcapngOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := tsharkCheck(t, tshark, path)
	for _, want := range []string{"WUPA", "ATQA", "Select", "SAK", "RATS", "ATS", "I-block", "Field on", "Field off"} {
		if !strings.Contains(out, want) {
			t.Errorf("tshark does not show %s:\n%s", want, out)
		}
	}
}

// tsharkCheck runs tshark on a pcapng file and fails t if tshark fails,
// reports a malformed packet, or dissects a packet as anything but ISO
// 14443. It returns tshark's packet list.
func tsharkCheck(t testing.TB, tshark, path string) string {
	t.Helper()
	list, err := exec.Command(tshark, "-n", "-r", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -r %s: %v\n%s", path, err, list)
	}
	detail, err := exec.Command(tshark, "-n", "-V", "-r", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -V -r %s: %v\n%s", path, err, detail)
	}
	if bytes.Contains(detail, []byte("Malformed")) {
		t.Errorf("tshark finds malformed packets:\n%s", detail)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		if strings.Contains(line, "Running as user") {
			continue
		}
		if !strings.Contains(line, "ISO 14443") {
			t.Errorf("a packet not dissected as ISO 14443: %s", line)
		}
	}
	return string(list)
}

// FuzzPcapng writes arbitrary frames and reads the file back: every
// contactless frame with data is a packet holding its bytes, nothing
// else is, and the file is well formed.
func FuzzPcapng(f *testing.F) {
	f.Add([]byte{0x52}, uint8(1), int64(0), "")
	f.Add([]byte{}, uint8(0), int64(5), NoteFieldOn)
	f.Add([]byte{1, 2, 3, 4, 5}, uint8(2), int64(1)<<40, "x")
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, start int64, note string) {
		if start < 0 {
			start = -start
		}
		fr := Frame{Interface: Interface(kind % 3), Dir: Direction(kind/3%2 + 1), Data: data, Start: time.Duration(start), Note: note}
		var b bytes.Buffer
		pw, err := NewPcapngWriter(&b, PcapngOptions{Application: note})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			err := pw.WriteFrame(fr)
			if len(data) > MaxPcapngData && fr.Interface == Contactless {
				if !errors.Is(err, ErrPcapngFrame) {
					t.Fatalf("%d bytes: %v", len(data), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		pkts := readPcapng(t, b.Bytes())
		want := 0
		switch {
		case fr.Interface != Contactless:
		case len(data) > 0, note == NoteFieldOn, note == NoteFieldOff:
			want = 2
		}
		if len(pkts) != want {
			t.Fatalf("%d packets for %+v", len(pkts), fr)
		}
		for _, p := range pkts {
			if !bytes.Equal(p.data, data) && len(data) > 0 {
				t.Fatalf("packet % X, frame % X", p.data, data)
			}
			if p.ts != uint64(start) {
				t.Fatalf("time stamp %d, start %d", p.ts, start)
			}
		}
	})
}

// The reader reads back what the writer writes: the same frames and
// events, times relative to the first packet.
func TestReadPcapng(t *testing.T) {
	var b bytes.Buffer
	src := sampleSession()
	if err := src.WritePcapng(&b, PcapngOptions{Epoch: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	if !IsPcapng(b.Bytes()) || IsPcapng([]byte("{")) || IsPcapng([]byte{0x0A, 0x0D, 0x0D, 0x0A}) {
		t.Error("IsPcapng")
	}
	got, err := ReadPcapng(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var want []Frame
	for _, f := range src.Frames {
		if f.Interface == Contactless && (len(f.Data) > 0 || f.Note == NoteFieldOn || f.Note == NoteFieldOff) {
			want = append(want, f)
		}
	}
	if len(got.Frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(got.Frames), len(want))
	}
	for i, f := range got.Frames {
		w := want[i]
		if f.Dir != w.Dir || !bytes.Equal(f.Data, w.Data) || f.Start != w.Start || len(f.Data) == 0 && f.Note != w.Note {
			t.Errorf("frame %d: %+v, want %+v", i, f, w)
		}
	}
}

// A pcapng file in big-endian order with microsecond time stamps, a second
// section, a simple packet and an interface of another link type, as other
// tools write them.
func TestReadPcapngForeign(t *testing.T) {
	be := binary.BigEndian
	block := func(typ uint32, body []byte) []byte {
		body = pad4(body)
		b := be.AppendUint32(nil, typ)
		b = be.AppendUint32(b, uint32(12+len(body)))
		b = append(b, body...)
		return be.AppendUint32(b, uint32(12+len(body)))
	}
	shb := be.AppendUint32(nil, byteOrderMark)
	shb = append(shb, 0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	idb := func(lt uint16) []byte { return block(blockIDB, append(be.AppendUint16(nil, lt), 0, 0, 0, 0, 0, 0)) }
	epb := func(iface uint32, ts uint64, pkt []byte) []byte {
		b := be.AppendUint32(nil, iface)
		b = be.AppendUint32(b, uint32(ts>>32))
		b = be.AppendUint32(b, uint32(ts))
		b = be.AppendUint32(b, uint32(len(pkt)))
		b = be.AppendUint32(b, uint32(len(pkt)))
		return block(blockEPB, append(b, pkt...))
	}
	var file []byte
	file = append(file, block(blockSHB, shb)...)
	file = append(file, idb(1)...) // Ethernet: skipped
	file = append(file, idb(LinkTypeISO14443)...)
	file = append(file, epb(0, 5, []byte{1, 2, 3})...)
	file = append(file, epb(1, 1000, []byte{0, 0xFE, 0, 1, 0x26})...)
	file = append(file, epb(1, 1250, []byte{0, 0xFB, 0, 2, 0x04, 0x00})...)
	file = append(file, block(0x00000005, []byte{0, 0, 0, 0})...) // statistics: skipped
	file = append(file, block(blockSHB, shb)...)
	file = append(file, idb(LinkTypeISO14443)...)
	file = append(file, block(blockSPB, append(be.AppendUint32(nil, 4), 0, 0xFD, 0, 0))...)
	got, err := ReadPcapng(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Frames) != 3 || got.Frames[0].Start != 0 || got.Frames[1].Start != 250*time.Microsecond ||
		got.Frames[1].Dir != FromCard || got.Frames[1].Note != "(CRC not captured)" || got.Frames[2].Note != NoteFieldOff {
		t.Errorf("%+v", got.Frames)
	}
}

func TestReadPcapngHostile(t *testing.T) {
	var b bytes.Buffer
	sampleSession().WritePcapng(&b, PcapngOptions{})
	good := b.Bytes()
	// The section header is 44 bytes, the interface description 48; the
	// first packet's pseudo-header starts 28 bytes into its block.
	const shb, idb, pkt = 44, 48, 44 + 48 + 28
	if good[pkt] != 0 || good[pkt+1] != iso14443FieldOn {
		t.Fatalf("layout: % X", good[pkt:pkt+4])
	}
	for name, data := range map[string][]byte{
		"empty":          nil,
		"JSON":           []byte(`{"format": "sscard-link-trace"}`),
		"cut":            good[:len(good)-3],
		"cut header":     good[:10],
		"no byte order":  append(append([]byte(nil), good[:8]...), make([]byte, 20)...),
		"bad block size": append(append([]byte(nil), good...), 6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0),
		"bad version":    patch(good, pkt, 0x01),
		"bad event":      patch(good, pkt+1, 0x77),
		"bad length":     patch(good, pkt+3, 0x09),
		"packet, no IDB": append(append([]byte(nil), good[:shb]...), good[shb+idb:]...),
		"major 2":        patch(good, 12, 0x02),
	} {
		if _, err := ReadPcapng(data); !errors.Is(err, ErrPcapng) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func patch(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	if i < len(c) {
		c[i] = v
	}
	return c
}

// FuzzReadPcapng: any bytes, no panic; what reads writes back and reads
// again the same.
func FuzzReadPcapng(f *testing.F) {
	var b bytes.Buffer
	sampleSession().WritePcapng(&b, PcapngOptions{})
	f.Add(b.Bytes())
	f.Add([]byte{0x0A, 0x0D, 0x0D, 0x0A})
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadPcapng(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := tr.WritePcapng(&out, PcapngOptions{}); err != nil {
			return // a frame too long for the link type
		}
		again, err := ReadPcapng(out.Bytes())
		if err != nil || len(again.Frames) != len(tr.Frames) {
			t.Fatalf("re-read: %v, %d frames of %d", err, len(again.Frames), len(tr.Frames))
		}
	})
}
