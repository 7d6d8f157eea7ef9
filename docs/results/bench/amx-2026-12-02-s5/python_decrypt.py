# Python Licensee.decrypt of 10 000 answers (p.ct of predict, bundle R of classify.txt):
# ENCRYIP_LIB=<build>/libencryip.so /usr/bin/python3 python_decrypt.py <repo>/python <tag>
import sys, time
sys.path.insert(0, sys.argv[1])
import encryip
cts = encryip.Ciphertexts.load("/tmp/p.ct")
lic = encryip.Licensee("/tmp/R/keys/licensee-1.key")
ts = []
for _ in range(5):
    t0 = time.perf_counter(); lab = lic.decrypt(cts); ts.append(time.perf_counter() - t0)
ts.sort()
print("%s: %d ciphertexts, median %.3f s, labels sum %d" % (sys.argv[2], len(cts), ts[2], int(lab.sum())))
