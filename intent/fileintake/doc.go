// Package fileintake takes intents from files in a watched directory, for
// offline use: drop a JSON or YAML file holding one intent or many (a JSON
// array, a YAML list, or YAML documents separated by ---) into the
// directory, and it is accepted and moved to done/, or moved to failed/
// with a .error file beside it naming every problem of every refused
// intent.
//
// A file is all or nothing: every intent in it is checked (syntax, schema,
// inventory, device model) before any is submitted, and one refusal fails
// the whole file. Writers should create files under a name starting with
// '.' or ending in .tmp or .part and rename them into place; such names are
// ignored.
//
// Crash safety: a file leaves the inbox only after all its intents are
// stored (done/) or its .error file is written (failed/), each by an
// atomic rename. Intents without an id get one derived from the file's
// content and their position in it, so after a crash midway the file is
// processed again, the intents already stored are recognised as duplicates
// and nothing is applied twice: every file ends up untouched or fully
// accepted.
//
// Run polls the directory until its context ends; ProcessOnce handles what
// is there now. Neither starts goroutines.
package fileintake
