#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <stdio.h>
#include <time.h>
#include "encryip/crypto.h"
static double now(void){struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t); return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  int P=atoi(argv[1]), per=atoi(argv[2]);
  eip_error err={0}; eip_crypto_init(&err);
  eip_crypto_params prm={EIP_CRYPTO_GROUP_RISTRETTO255,10,0};
  eip_crypto_pk_t*pk; eip_crypto_master_t*m;
  eip_crypto_gen(&prm,P,NULL,&pk,&m,&err);
  double t2=now(); eip_crypto_ct c;
  for(int j=1;j<=P;j++) for(int i=0;i<per;i++) if(eip_crypto_fake_for(m,j,(j+i)%10,NULL,&c,&err)) {printf("%s\n",err.msg);return 1;}
  double t3=now();
  printf("main (all-pairs): P=%d per=%d: %d ciphertexts %.3f s CPU (%.1f us each)\n",P,per,P*per,t3-t2,1e6*(t3-t2)/(P*per));
  return 0;}
