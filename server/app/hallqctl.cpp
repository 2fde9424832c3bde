// hallqctl: HallQ from the command line, for clerks, admins and scripts. The program is hallq_ctl.
#include "hallq/app/ctl.h"

int main(int argc, char** argv) { return hallq::app::hallqctl_main(argc, argv); }
