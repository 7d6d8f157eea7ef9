import sys,time,subprocess
t0=time.time()
p=subprocess.Popen(sys.argv[1:],stderr=subprocess.STDOUT,stdout=subprocess.PIPE,text=True,bufsize=1)
for l in p.stdout:
    for part in l.replace('\r','\n').split('\n'):
        if part.strip() and 'step' not in part:
            print('%7.2f %s'%(time.time()-t0,part.strip()),flush=True)
p.wait()
print('%7.2f exit %d'%(time.time()-t0,p.returncode))
