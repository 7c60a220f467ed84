package golearn

/*
#include <stdlib.h>
*/
import "C"

import "sync"

// liblinearMu serializes liblinear trainings in a process: each reseeds
// the C library's rand(), which is process-wide, and must then train
// before any other training draws from it.
var liblinearMu sync.Mutex

// reseedCRand resets the C library's rand() that liblinear's L1 solver
// shuffles with, so a training draws the same sequence whether or not
// another ran before it in the process. Call it with liblinearMu held.
func reseedCRand() {
	C.srand(1)
}
