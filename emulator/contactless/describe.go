package contactless

import "fmt"

// Describe names a reader's frame (toCard) or a card's frame for traces:
// "REQA", "SEL2 anticollision, 21 bits known", "RATS FSDI 8 CID 0",
// "I(0) 00 A4 04 00 ..." A card's frame is named only when it is a block;
// its other answers are named by the card, which knows what it sent.
func Describe(t Type, data []byte, lastBits int, toCard bool) string {
	if len(data) == 0 {
		return ""
	}
	if toCard {
		if s := describeCommand(t, data, lastBits); s != "" {
			return s
		}
	}
	body, ok := CheckCRC(t, data)
	if !ok {
		return "(bad CRC)"
	}
	blk, err := ParseBlock(body)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return blk.String()
}

func describeCommand(t Type, d []byte, lastBits int) string {
	if t == TypeA {
		if len(d) == 1 && lastBits == 7 {
			switch d[0] & 0x7F {
			case REQA:
				return "REQA"
			case WUPA:
				return "WUPA"
			}
			return fmt.Sprintf("short frame %02X", d[0]&0x7F)
		}
		if len(d) >= 2 && (d[0] == SEL1 || d[0] == SEL2 || d[0] == SEL3) {
			level := int(d[0]-SEL1)/2 + 1
			if d[1] == 0x70 {
				return fmt.Sprintf("SEL%d select % X", level, d[2:min(len(d), 7)])
			}
			return fmt.Sprintf("SEL%d anticollision, %d bits known", level, (int(d[1]>>4)-2)*8+int(d[1]&0x0F))
		}
		body, ok := CheckCRC(TypeA, d)
		switch {
		case ok && len(body) == 2 && body[0] == RATS:
			return fmt.Sprintf("RATS FSDI %d CID %d", body[1]>>4, body[1]&0x0F)
		case ok && len(body) == 2 && body[0] == HLTA && body[1] == 0:
			return "HLTA"
		case ok && len(body) >= 2 && body[0]&0xF0 == PPSS:
			if len(body) == 3 {
				return fmt.Sprintf("PPS DSI %d DRI %d", body[2]>>2&3, body[2]&3)
			}
			return "PPS"
		}
		return ""
	}
	body, ok := CheckCRC(TypeB, d)
	if !ok {
		return ""
	}
	switch {
	case len(body) == 3 && body[0] == APf:
		kind := "REQB"
		if body[2]&0x08 != 0 {
			kind = "WUPB"
		}
		return fmt.Sprintf("%s AFI %02X N %d", kind, body[1], 1<<(body[2]&7))
	case len(body) == 1 && body[0]&0x0F == APf:
		return fmt.Sprintf("slot marker %d", body[0]>>4+1)
	case len(body) >= 9 && body[0] == ATTRIBCmd:
		return fmt.Sprintf("ATTRIB PUPI % X", body[1:5])
	case len(body) == 5 && body[0] == HLTBCmd:
		return fmt.Sprintf("HLTB PUPI % X", body[1:5])
	}
	return ""
}
