/** The recorder the tests subscribe with is the simulator's (sim/recorder.ts). */
export { Recorder, type Received } from '../../sim/recorder.js';
