/* min-of-R wall time of oneDNN conv fwd / bwd_d / bwd_w, and BN fwd+bwd, per layout */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define CK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s:%d %s -> %d\n", __FILE__, __LINE__, #x, s_); return -1; } } while (0)
static double now(void){struct timespec t;clock_gettime(getenv("CPUT")?CLOCK_PROCESS_CPUTIME_ID:CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static dnnl_engine_t eng; static dnnl_stream_t st;
static dnnl_memory_t mk(const dnnl_memory_desc_t *md){dnnl_memory_t m; dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE); void*p; dnnl_memory_get_data_handle(m,&p); size_t b=dnnl_memory_desc_get_size(md); float*f=p; for(size_t i=0;i<b/4;i++) f[i]=(float)((i*7919)%1000)/1000.f-0.5f; return m;}
static const char *impl(dnnl_primitive_desc_t pd){const char*s; dnnl_primitive_desc_query(pd,dnnl_query_impl_info_str,0,&s); return s;}
static double runmin(dnnl_primitive_t p, int n, dnnl_exec_arg_t *a, int R){double best=1e9; for(int r=0;r<R+1;r++){double t0=now(); dnnl_primitive_execute(p,st,n,a); dnnl_stream_wait(st); double t=now()-t0; if(r>0&&t<best)best=t;} return best*1e3;}
static int conv(int N,int IC,int OC,int H,int K,int S,dnnl_format_tag_t tag,dnnl_alg_kind_t alg,int R, double *tot){
  int P=K/2, OH=(H+2*P-K)/S+1;
  dnnl_dims_t sd={N,IC,H,H}, dd={N,OC,OH,OH}, wd={OC,IC,K,K}, sts={S,S}, pad={P,P};
  dnnl_memory_desc_t s,d,w; CK(dnnl_memory_desc_init_by_tag(&s,4,sd,dnnl_f32,tag)); CK(dnnl_memory_desc_init_by_tag(&d,4,dd,dnnl_f32,tag)); CK(dnnl_memory_desc_init_by_tag(&w,4,wd,dnnl_f32,dnnl_format_tag_any));
  dnnl_convolution_desc_t cd; CK(dnnl_convolution_forward_desc_init(&cd,getenv("INFER")?dnnl_forward_inference:dnnl_forward_training,alg,&s,&w,NULL,&d,sts,pad,pad));
  dnnl_primitive_desc_t f,bd,bw; if(dnnl_primitive_desc_create(&f,&cd,NULL,eng,NULL)!=dnnl_success){printf("  unimplemented\n");return 0;}
  CK(dnnl_convolution_backward_data_desc_init(&cd,alg,&s,&w,&d,sts,pad,pad)); CK(dnnl_primitive_desc_create(&bd,&cd,NULL,eng,f));
  CK(dnnl_convolution_backward_weights_desc_init(&cd,alg,&s,&w,NULL,&d,sts,pad,pad)); CK(dnnl_primitive_desc_create(&bw,&cd,NULL,eng,f));
  dnnl_memory_t ms=mk(&s), md_=mk(&d), mw=mk(dnnl_primitive_desc_query_md(f,dnnl_query_weights_md,0)), mwb=mk(dnnl_primitive_desc_query_md(bd,dnnl_query_weights_md,0)), mdw=mk(dnnl_primitive_desc_query_md(bw,dnnl_query_diff_weights_md,0));
  dnnl_memory_t msc1=mk(dnnl_primitive_desc_query_md(f,dnnl_query_scratchpad_md,0)),msc2=mk(dnnl_primitive_desc_query_md(bd,dnnl_query_scratchpad_md,0)),msc3=mk(dnnl_primitive_desc_query_md(bw,dnnl_query_scratchpad_md,0));
  dnnl_primitive_t pf,pbd,pbw; CK(dnnl_primitive_create(&pf,f)); CK(dnnl_primitive_create(&pbd,bd)); CK(dnnl_primitive_create(&pbw,bw));
  dnnl_exec_arg_t af[4]={{DNNL_ARG_SRC,ms},{DNNL_ARG_WEIGHTS,mw},{DNNL_ARG_DST,md_},{DNNL_ARG_SCRATCHPAD,msc1}};
  dnnl_exec_arg_t ab[4]={{DNNL_ARG_DIFF_SRC,ms},{DNNL_ARG_WEIGHTS,mwb},{DNNL_ARG_DIFF_DST,md_},{DNNL_ARG_SCRATCHPAD,msc2}};
  dnnl_exec_arg_t aw[4]={{DNNL_ARG_SRC,ms},{DNNL_ARG_DIFF_WEIGHTS,mdw},{DNNL_ARG_DIFF_DST,md_},{DNNL_ARG_SCRATCHPAD,msc3}};
  double tf=runmin(pf,4,af,R), tb=runmin(pbd,4,ab,R), tw=runmin(pbw,4,aw,R);
  double gf=2.0*N*OC*OH*OH*IC*K*K/1e9;
  printf("  fwd %7.1f ms (%5.1f GF/s) %-14s bwd_d %7.1f ms (%5.1f) %-14s bwd_w %7.1f ms (%5.1f) %-14s\n",tf,gf/tf*1e3,impl(f),tb,gf/tb*1e3,impl(bd),tw,gf/tw*1e3,impl(bw));
  tot[0]+=tf; tot[1]+=tb; tot[2]+=tw;
  return 0;
}
static int bn(int N,int C,int H,dnnl_format_tag_t tag,int R,double*tot){
  dnnl_dims_t sd={N,C,H,H}; dnnl_memory_desc_t s; CK(dnnl_memory_desc_init_by_tag(&s,4,sd,dnnl_f32,tag));
  unsigned fl=dnnl_use_scale|dnnl_use_shift|dnnl_fuse_norm_relu;
  dnnl_batch_normalization_desc_t d; CK(dnnl_batch_normalization_forward_desc_init(&d,dnnl_forward_training,&s,1e-5f,fl));
  dnnl_primitive_desc_t f,b; CK(dnnl_primitive_desc_create(&f,&d,NULL,eng,NULL));
  CK(dnnl_batch_normalization_backward_desc_init(&d,dnnl_backward,&s,&s,1e-5f,fl)); CK(dnnl_primitive_desc_create(&b,&d,NULL,eng,f));
  dnnl_dims_t cd={C}; dnnl_memory_desc_t c; dnnl_memory_desc_init_by_tag(&c,1,cd,dnnl_f32,dnnl_a);
  dnnl_memory_t x=mk(&s),y=mk(&s),dy=mk(&s),dx=mk(&s),sc=mk(&c),sh=mk(&c),mu=mk(&c),va=mk(&c),dsc=mk(&c),dsh=mk(&c),ws=mk(dnnl_primitive_desc_query_md(f,dnnl_query_workspace_md,0));
  dnnl_primitive_t pf,pb; CK(dnnl_primitive_create(&pf,f)); CK(dnnl_primitive_create(&pb,b));
  dnnl_exec_arg_t af[7]={{DNNL_ARG_SRC,x},{DNNL_ARG_DST,y},{DNNL_ARG_SCALE,sc},{DNNL_ARG_SHIFT,sh},{DNNL_ARG_MEAN,mu},{DNNL_ARG_VARIANCE,va},{DNNL_ARG_WORKSPACE,ws}};
  double tf=runmin(pf,7,af,R);
  dnnl_exec_arg_t ab[10]={{DNNL_ARG_SRC,x},{DNNL_ARG_DIFF_DST,dy},{DNNL_ARG_SCALE,sc},{DNNL_ARG_SHIFT,sh},{DNNL_ARG_MEAN,mu},{DNNL_ARG_VARIANCE,va},{DNNL_ARG_WORKSPACE,ws},{DNNL_ARG_DIFF_SRC,dx},{DNNL_ARG_DIFF_SCALE,dsc},{DNNL_ARG_DIFF_SHIFT,dsh}};
  double tb=runmin(pb,10,ab,R);
  printf("  bn C%d H%d fwd %6.1f ms %-18s bwd %6.1f ms %s\n",C,H,tf,impl(f),tb,impl(b)); tot[0]+=tf; tot[1]+=tb; return 0;
}
int main(int argc,char**argv){
  int N=argc>2?atoi(argv[2]):128, R=argc>3?atoi(argv[3]):3;
  const char *L=argv[1]; dnnl_format_tag_t tag=!strcmp(L,"nhwc")?dnnl_acdb:!strcmp(L,"8c")?dnnl_aBcd8b:!strcmp(L,"16c")?dnnl_aBcd16b:dnnl_abcd;
  dnnl_alg_kind_t alg=argc>4&&!strcmp(argv[4],"wino")?dnnl_convolution_winograd:argc>4&&!strcmp(argv[4],"auto")?dnnl_convolution_auto:dnnl_convolution_direct;
  dnnl_engine_create(&eng,dnnl_cpu,0); dnnl_stream_create(&st,eng,dnnl_stream_default_flags);
  printf("layout %s N %d isa %d\n",L,N,(int)dnnl_get_effective_cpu_isa());
  /* resnet18 3x3 convs (count per layer) */
  int shp[][6]={{64,64,32,3,1,4},{64,128,32,3,2,1},{128,128,16,3,1,3},{64,128,32,1,2,1},{128,256,16,3,2,1},{256,256,8,3,1,3},{128,256,16,1,2,1},{256,512,8,3,2,1},{512,512,4,3,1,3},{256,512,8,1,2,1}};
  double tot[3]={0,0,0}, wt[3]={0,0,0};
  for(int i=0;i<10;i++){double t[3]={0,0,0}; printf("ic%d oc%d h%d k%d s%d x%d\n",shp[i][0],shp[i][1],shp[i][2],shp[i][3],shp[i][4],shp[i][5]); conv(N,shp[i][0],shp[i][1],shp[i][2],shp[i][3],shp[i][4],tag,alg,R,t); for(int j=0;j<3;j++){tot[j]+=t[j]; wt[j]+=t[j]*shp[i][5];}}
  printf("weighted total (x count): fwd %.1f bwd_d %.1f bwd_w %.1f sum %.1f ms\n",wt[0],wt[1],wt[2],wt[0]+wt[1]+wt[2]);
  int bns[][3]={{64,32,5},{128,16,5},{256,8,5},{512,4,5}}; double bt[2]={0,0},bw_[2]={0,0};
  for(int i=0;i<4;i++){double t[2]={0,0}; bn(N,bns[i][0],bns[i][1],tag,R,t); bw_[0]+=t[0]*bns[i][2]; bw_[1]+=t[1]*bns[i][2]; (void)bt;}
  printf("bn weighted: fwd %.1f bwd %.1f ms\n",bw_[0],bw_[1]);
  return 0;
}
