package cos

// AppCell adds an NVM cell that belongs to an application: the App keeps in
// it state the file tree has no object for (its own PIN objects, say). It
// reads the cell with Context.Memory().Get and writes it inside a
// transaction ended by Context.Commit, so the cell is saved in card images
// and survives power loss like every other. max bounds the cell's length;
// fixed says it always has exactly max bytes.
func (b *Builder) AppCell(initial []byte, max int, fixed bool) int {
	if len(initial) > max || fixed && len(initial) != max {
		b.fail("application cell of %d bytes, max %d", len(initial), max)
	}
	return b.cell(initial, max, fixed)
}

// ContentCell returns the NVM cell holding the content of a transparent EF,
// for an App that changes the content of its own files by its own commands
// (an on-card key generation, say). ok is false for DFs and record files.
func (n *Node) ContentCell() (cell int, ok bool) {
	if n.Kind != KindEF || n.structure != Transparent {
		return 0, false
	}
	return n.cell, true
}
