"""The admin's name: the site's own, not "Django administration"."""

from django.contrib import admin

admin.site.site_header = "Prediction tracker"
admin.site.site_title = "Prediction tracker admin"
admin.site.index_title = "Reviewing"
