//! An Azure Resource Manager emulator faithful to the hotpatch ARM contract, for tests and the demo.
