raise ImportError("/lib/python3.10/site-packages/flash_attn_2_cuda.cpython-310-x86_64-linux-gnu.so: "
                  "undefined symbol: _ZN3c104cuda9SetDeviceEi")
