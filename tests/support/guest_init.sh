#!/bin/sh
# The init of the gpio-sim guest (gpio_guest.py): busybox, the modules, this machine's root
# filesystem read-only over 9p, then the command in /tmp/guest-out/run.sh, then power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for module in netfs 9pnet 9pnet_virtio 9p configfs irq_sim gpio-sim; do
  insmod "/modules/$module.ko" || { echo "guest: insmod $module failed"; poweroff -f; }
done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /root
mount -t proc proc /root/proc
mount -t sysfs sysfs /root/sys
mount -t devtmpfs dev /root/dev
mount -t configfs configfs /root/sys/kernel/config
mount -t tmpfs tmp /root/tmp
mkdir /root/tmp/guest-out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /root/tmp/guest-out
chroot /root /bin/sh /tmp/guest-out/run.sh > /root/tmp/guest-out/output 2>&1
echo $? > /root/tmp/guest-out/status
sync
poweroff -f
