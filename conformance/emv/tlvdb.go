package emv

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/sscard/sscard/emulator/iso7816"
)

// Source says where a data element in the database came from.
type Source byte

// Sources of data elements.
const (
	FromTerminal Source = iota + 1
	FromCard
	FromIssuer
)

func (s Source) String() string {
	switch s {
	case FromTerminal:
		return "terminal"
	case FromCard:
		return "card"
	case FromIssuer:
		return "issuer"
	}
	return "?"
}

// Errors of the card's data.
var (
	// ErrCardData is wrapped by every error about malformed, missing or
	// inconsistent data from the card.
	ErrCardData = errors.New("card data error")
)

// Element is one data element of the database.
type Element struct {
	Tag    Tag
	Value  []byte
	Source Source
}

// DB is the transaction's data: what the terminal set and what the card and
// the issuer returned, by tag (EMV Book 3 §10.2). It keeps the order in
// which elements first arrived, so dumps follow the transaction.
type DB struct {
	vals  map[Tag]Element
	order []Tag
}

// NewDB returns an empty database.
func NewDB() *DB { return &DB{vals: make(map[Tag]Element, 64)} }

// Get returns the value of t, or nil.
func (d *DB) Get(t Tag) []byte { return d.vals[t].Value }

// Lookup returns the value of t and whether it is present.
func (d *DB) Lookup(t Tag) ([]byte, bool) {
	e, ok := d.vals[t]
	return e.Value, ok
}

// Has reports whether t is present.
func (d *DB) Has(t Tag) bool {
	_, ok := d.vals[t]
	return ok
}

// SourceOf returns where t came from (0 when absent).
func (d *DB) SourceOf(t Tag) Source { return d.vals[t].Source }

// Elements returns the elements in arrival order.
func (d *DB) Elements() []Element {
	out := make([]Element, 0, len(d.order))
	for _, t := range d.order {
		out = append(out, d.vals[t])
	}
	return out
}

func (d *DB) put(t Tag, v []byte, s Source) {
	if _, ok := d.vals[t]; !ok {
		d.order = append(d.order, t)
	}
	d.vals[t] = Element{Tag: t, Value: slices.Clone(v), Source: s}
}

// Set stores a terminal data element.
func (d *DB) Set(t Tag, v []byte) { d.put(t, v, FromTerminal) }

// setIssuer stores a data element from the issuer's response.
func (d *DB) setIssuer(t Tag, v []byte) { d.put(t, v, FromIssuer) }

// terminalOnly lists data elements only the terminal originates: a card
// that returns them cannot change what the terminal computed.
var terminalOnly = map[Tag]bool{
	TagTVR: true, TagTSI: true, TagUN: true, TagAmount: true, TagAmountOther: true,
	TagTxDate: true, TagTxType: true, TagTxTime: true, TagCurrency: true, TagTermCountry: true,
	TagTermCaps: true, TagTermType: true, TagTTQ: true, TagCVMResults: true, TagARC: true,
	TagECTermSupport: true, TagSMSupport: true, TagTermAppVersion: true, TagFloorLimit: true,
}

// seenTags tracks which data objects the card has returned in the GPO
// response and the records, for the duplicate check.
type seenTags map[Tag]byte

// Stages of a transaction in which the card returns data objects.
const (
	stageGPO     byte = 1
	stageRecords byte = 2
)

// addCard stores a data element the card returned; a newer value
// replaces an older one (the ATC of each response). With seen, a data
// object the records already returned is an error (EMV Book 3 §10.2), and
// so is one the GPO response returned with another value (a qUICS card
// repeats 57 and 5F34 of its records in the GPO response). Terminal data
// elements the card returns are ignored.
func (d *DB) addCard(t Tag, v []byte, seen seenTags, stage byte) error {
	if terminalOnly[t] {
		return nil
	}
	if seen != nil {
		switch prev := seen[t]; {
		case prev == stageRecords || prev == stage:
			return fmt.Errorf("%w: the card returned %s twice", ErrCardData, t)
		case prev != 0 && !bytes.Equal(d.Get(t), v):
			return fmt.Errorf("%w: the card returned %s with two values", ErrCardData, t)
		}
		seen[t] = stage
	}
	d.put(t, v, FromCard)
	return nil
}

// addCardObjects stores every top-level data object of b (the value of a
// template) as card data. Malformed data is an error.
func (d *DB) addCardObjects(b []byte, seen seenTags, stage byte) error {
	p := iso7816.NewParser(b)
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			return fmt.Errorf("%w: malformed TLV data", ErrCardData)
		}
		if err := d.addCard(t, v, seen, stage); err != nil {
			return err
		}
	}
	return nil
}
