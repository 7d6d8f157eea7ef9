/* CPU time per training step phase: alexnet w0.25, batch 128, 1 thread, K and loss as given. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "encryip/nn.h"
#include "encryip/train.h"
static double cpu(void){struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t); return t.tv_sec+1e-9*t.tv_nsec;}
int main(int argc,char**argv){
  int64_t k=atoi(argv[1]); int block=atoi(argv[2]); int steps=atoi(argv[3]);
  eip_error err={0}; eip_nn_ctx ctx; eip_nn_ctx_init(&ctx,1,&err);
  eip_nn_net_t*net; if(eip_nn_net_build(&ctx,"alexnet",NULL,0.25,1,28,28,k,&net,&err)){printf("%s\n",err.msg);return 1;}
  eip_nn_init_params(net,1,&err);
  int64_t np; float*p=eip_nn_params(net,&np); float*g=eip_nn_grads(net,NULL);
  eip_train_optim_config oc=eip_train_optim_config_default(EIP_TRAIN_OPTIM_ADAMW); oc.weight_decay=0.01;
  eip_train_optim_t*opt; eip_train_optim_init(&opt,&oc,np,&err);
  const int B=128; float*x=malloc(sizeof(float)*B*784),*y=malloc(sizeof(float)*B*k),*dy=malloc(sizeof(float)*B*k);
  int32_t*ids=malloc(4*B); int nid=block?34:k; float*tab=calloc((size_t)nid*k,4);
  for(int i=0;i<nid;i++){ if(block){int q=k/3; for(int b=0;b<3;b++) tab[(size_t)i*k+b*q+1+(i*7+b*3)%(q-1)]=1;} }
  srand(1); for(int i=0;i<B*784;i++) x[i]=(float)rand()/RAND_MAX-0.5f;
  double tf=0,tl=0,tb=0,to=0;
  for(int s=0;s<steps+5;s++){
    for(int i=0;i<B;i++) ids[i]=(i*13+s)%nid;
    double a=cpu(); eip_nn_zero_grad(net); eip_nn_forward(net,x,B,EIP_NN_TRAIN,y,&err);
    double b=cpu(); float loss; if(block) eip_train_loss_ce_block_ids(y,tab,nid,ids,B,k,3,&loss,dy,&err); else eip_train_loss_ce_hard(y,ids,B,k,&loss,dy,&err);
    double c=cpu(); eip_nn_backward(net,dy,NULL,&err);
    double d=cpu(); eip_train_optim_step(opt,1e-3,p,g,NULL,&err); eip_nn_mark_dirty(net);
    double e=cpu(); if(s>=5){tf+=b-a;tl+=c-b;tb+=d-c;to+=e-d;}
  }
  printf("K=%lld %s params %lld: per step ms: forward %.3f loss %.3f backward %.3f optim %.3f total %.3f\n",(long long)k,block?"block":"hard",(long long)np,
    1e3*tf/steps,1e3*tl/steps,1e3*tb/steps,1e3*to/steps,1e3*(tf+tl+tb+to)/steps);
  return 0;}
