/* hostfit: placeholder entry point until the command table lands. */
#include <stdio.h>
int main(void) { puts("hostfit " HOSTFIT_VERSION); return 0; }
