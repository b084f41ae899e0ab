/* The floor of any LD_PRELOAD tracer: a preloaded library that does
 * nothing. bench runs each workload with it too, so the table shows what
 * the dynamic loader alone costs (open, map and relocate one more library
 * in every exec'd image) beside what peerlog costs. */
__attribute__((constructor)) static void pl_floor_init(void)
{
}
