package wasip1

// Values of the wasi_snapshot_preview1 ABI (witx), used by the host functions.

// Rights bits.
const (
	rightFdDatasync uint64 = 1 << iota
	rightFdRead
	rightFdSeek
	rightFdFdstatSetFlags
	rightFdSync
	rightFdTell
	rightFdWrite
	rightFdAdvise
	rightFdAllocate
	rightPathCreateDirectory
	rightPathCreateFile
	rightPathLinkSource
	rightPathLinkTarget
	rightPathOpen
	rightFdReaddir
	rightPathReadlink
	rightPathRenameSource
	rightPathRenameTarget
	rightPathFilestatGet
	rightPathFilestatSetSize
	rightPathFilestatSetTimes
	rightFdFilestatGet
	rightFdFilestatSetSize
	rightFdFilestatSetTimes
	rightPathSymlink
	rightPathRemoveDirectory
	rightPathUnlinkFile
	rightPollFdReadwrite
	rightSockShutdown
	rightSockAccept

	rightsAll = rightSockAccept<<1 - 1
)

// Rights Wasmtime reports for a preopened directory (base and inheriting).
const (
	preopenRightsBase = rightPathCreateDirectory | rightPathCreateFile | rightPathLinkSource |
		rightPathLinkTarget | rightPathOpen | rightFdReaddir | rightPathReadlink |
		rightPathRenameSource | rightPathRenameTarget | rightPathSymlink |
		rightPathRemoveDirectory | rightPathUnlinkFile | rightPathFilestatGet |
		rightPathFilestatSetTimes | rightFdFilestatGet | rightFdFilestatSetTimes
	preopenRightsInheriting = preopenRightsBase | rightFdDatasync | rightFdRead | rightFdSeek |
		rightFdFdstatSetFlags | rightFdSync | rightFdTell | rightFdWrite | rightFdAdvise |
		rightFdAllocate | rightFdFilestatGet | rightFdFilestatSetSize | rightFdFilestatSetTimes |
		rightPollFdReadwrite
)

// File types.
const (
	filetypeUnknown uint8 = iota
	filetypeBlockDevice
	filetypeCharacterDevice
	filetypeDirectory
	filetypeRegularFile
	filetypeSocketDgram
	filetypeSocketStream
	filetypeSymbolicLink
)

// fdflags.
const (
	fdflagAppend   uint16 = 1
	fdflagDsync    uint16 = 2
	fdflagNonblock uint16 = 4
	fdflagRsync    uint16 = 8
	fdflagSync     uint16 = 16
)

// oflags.
const (
	oflagCreat     uint16 = 1
	oflagDirectory uint16 = 2
	oflagExcl      uint16 = 4
	oflagTrunc     uint16 = 8
)

// lookupflags.
const lookupSymlinkFollow uint32 = 1

// fstflags.
const (
	fstAtim    uint16 = 1
	fstAtimNow uint16 = 2
	fstMtim    uint16 = 4
	fstMtimNow uint16 = 8
)

// Clock ids.
const (
	clockRealtime uint32 = iota
	clockMonotonic
	clockProcessCputime
	clockThreadCputime
)

// Event types and flags.
const (
	eventtypeClock   uint8 = 0
	eventtypeFdRead  uint8 = 1
	eventtypeFdWrite uint8 = 2

	subclockAbstime   uint16 = 1
	eventFdReadHangup uint16 = 1
)

// Sizes of the ABI structures.
const (
	sizeDirent       = 24
	sizeFilestat     = 64
	sizeFdstat       = 24
	sizeSubscription = 48
	sizeEvent        = 32
)
