package contactless

// The CRCs of ISO/IEC 14443-3 §6.2.4 (Type A) and §7.2 (Type B), worked
// examples in its Annex B: CRC-16 with the ITU-T V.41 polynomial
// x^16 + x^12 + x^5 + 1, processed least significant bit first. CRC_A
// starts from 6363 and is sent as is; CRC_B starts from FFFF and is sent
// complemented. Both go on the air least significant byte first.

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408 // 0x1021 reflected
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crcUpdate(crc uint16, data []byte) uint16 {
	for _, b := range data {
		crc = crc>>8 ^ crcTable[byte(crc)^b]
	}
	return crc
}

// CRCA returns the CRC_A of data; its low byte is sent first.
func CRCA(data []byte) uint16 { return crcUpdate(0x6363, data) }

// CRCB returns the CRC_B of data; its low byte is sent first.
func CRCB(data []byte) uint16 { return ^crcUpdate(0xFFFF, data) }

// CRC returns the CRC of data for the type's frames.
func CRC(t Type, data []byte) uint16 {
	if t == TypeB {
		return CRCB(data)
	}
	return CRCA(data)
}

// AppendCRC appends to frame the CRC of its bytes, low byte first.
func AppendCRC(t Type, frame []byte) []byte {
	c := CRC(t, frame)
	return append(frame, byte(c), byte(c>>8))
}

// CheckCRC reports whether frame ends with a correct CRC and returns the
// bytes before it. A frame of fewer than 3 bytes never checks: every
// frame with a CRC has at least one byte before it.
func CheckCRC(t Type, frame []byte) ([]byte, bool) {
	n := len(frame)
	if n < 3 {
		return nil, false
	}
	body := frame[:n-2]
	c := CRC(t, body)
	return body, frame[n-2] == byte(c) && frame[n-1] == byte(c>>8)
}
