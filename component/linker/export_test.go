package linker

// SetRelink turns relinking (see relink) on or off for the components
// compiled next, and returns what it was.
func SetRelink(on bool) (was bool) {
	was = !noRelink
	noRelink = !on
	return was
}

// Linking counts, in c's plans, the core instantiations that were
// relinked and the bundles' re-export modules that were compiled.
func Linking(c *Component) (relinked, bundles int) {
	for _, p := range c.plans {
		relinked += len(p.linked)
		for _, b := range p.bundles {
			if b.mod != nil {
				bundles++
			}
		}
	}
	return relinked, bundles
}
